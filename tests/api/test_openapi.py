import json

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db


def api_paths() -> set[str]:
    """Every route under /api/v1/, in OpenAPI's {name} notation."""
    paths: set[str] = set()
    resolver = get_resolver()

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
                for converter in ("id", "int", "str", "slug"):
                    route = route.replace(f"<{converter}:", "<")
                paths.add("/" + route.replace("<", "{").replace(">", "}"))

    walk(resolver.url_patterns, "")
    return paths


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    target = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    with django_db_blocker.unblock():
        # --fail-on-warn: an endpoint the generator can't describe fails the test.
        call_command("spectacular", "--file", str(target), "--validate", "--fail-on-warn")
    return yaml.safe_load(target.read_text())


def test_the_schema_documents_every_endpoint(schema):
    assert set(schema["paths"]) == api_paths()


def test_every_operation_documents_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "429" in codes and "403" in codes, (method, path, codes)
            # Public: sign-up, log-in, the calendar feeds (their secret URL is the key) and the
            # links from e-mails (the link is the key).
            public = (
                "/api/v1/auth/register/",
                "/api/v1/auth/token",
                "/api/v1/calendar/",
                "/api/v1/auth/password-reset/",
                "/api/v1/auth/email/confirm/",
            )
            if not path.startswith(public):
                assert "401" in codes, (method, path)
            error = operation["responses"]["403"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}


def test_claiming_documents_the_conflict_codes(schema):
    claim = schema["paths"]["/api/v1/shifts/{shift_id}/claim/"]["post"]
    assert {"200", "201", "409"} <= set(claim["responses"])
    assert "shift_full" in claim["responses"]["409"]["description"]
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "code",
        "detail",
        "fields",
    }


def test_read_only_fields_are_not_in_request_bodies(schema):
    request = schema["components"]["schemas"]["ShiftWriteRequest"]["properties"]
    assert "confirmed_count" not in request and "status" not in request
    patch = schema["components"]["schemas"]["PatchedShiftUpdateRequest"]["properties"]
    assert "organisation" not in patch


def test_the_docs_page_and_schema_are_served(client):
    assert client.get("/api/docs/").status_code == 200
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/shifts/" in response.content


def test_the_schema_describes_the_log_in_answer_and_each_formats_media_type(schema):
    components = schema["components"]["schemas"]
    login = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["200"]
    refresh = schema["paths"]["/api/v1/auth/token/refresh/"]["post"]["responses"]["200"]
    feed = schema["paths"]["/api/v1/calendar/{token}/shifts.ics"]["get"]["responses"]

    pair = login["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    renewed = refresh["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(components[pair]["properties"]) == {"access", "refresh"}
    assert renewed == pair  # a refresh answers a new refresh token too
    assert list(feed["200"]["content"]) == ["text/calendar"]
    # Errors are JSON everywhere, also from the feeds and the CSV download.
    for path in schema["paths"].values():
        for operation in path.values():
            for status, answer in operation.get("responses", {}).items():
                if status[0] in "45" and "content" in answer:
                    assert list(answer["content"]) == ["application/json"], (status, answer)


def test_the_schema_is_one_contract_whatever_the_askers_language(client):
    dutch = client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="nl").json()
    french = client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert dutch == french
    role = dutch["components"]["schemas"]["RoleEnum"]
    assert "`coordinator` - coordinator" in role["description"]  # not "coördinator"


def test_no_internal_docstring_leaks_into_the_descriptions(schema):
    text = json.dumps(schema)
    assert "``" not in text  # reStructuredText from docstrings, turned into Markdown
    me = schema["paths"]["/api/v1/me/"]["get"]["description"]
    assert "MeView" not in me


def test_every_error_response_lists_its_codes_and_each_operation_has_an_enum(schema):
    components = schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            enum = components[operation["x-error-codes"]["$ref"].rsplit("/", 1)[1]]["enum"]
            for status, body in operation["responses"].items():
                if status[0] in "45":
                    assert set(body["x-error-codes"]) <= set(enum), (method, path, status)
    claim = schema["paths"]["/api/v1/shifts/{shift_id}/claim/"]["post"]["responses"]
    assert {"shift_full", "claims_not_open", "claim_blocked"} <= set(claim["409"]["x-error-codes"])
    assert "not_member" in claim["403"]["x-error-codes"]
    login = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "invalid_credentials" in login["401"]["x-error-codes"]
