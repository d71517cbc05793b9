"""Every answer the API test suite gets is checked against the OpenAPI schema (issue 12): its
status is one the operation documents, its media type is one declared for that status, and a
JSON body validates against the declared schema, and an error's ``code`` is one the schema
lists for that operation and status. ``tests.conftest.client_for`` and the ``api`` fixture
hand out clients that check."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import jsonschema
from rest_framework.test import APIClient


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's dialect as JSON Schema: ``nullable`` becomes a null alternative."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    # drf-spectacular writes a blank-or-URL field as oneOf [empty, uri]; without format
    # checks "" matches both, which oneOf forbids: anyOf says what is meant.
    if "oneOf" in converted:
        converted["anyOf"] = converted.pop("oneOf")
    if node.get("nullable"):
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@functools.cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    from backend.api.views.schema import api_schema

    schema = api_schema("en")
    operations = []
    for template, methods in schema["paths"].items():
        for method, operation in methods.items():
            integers = {
                p["name"]
                for p in operation.get("parameters", [])
                if p["in"] == "path" and p["schema"].get("type") == "integer"
            }

            def part(match: re.Match[str], integers: set[str] = integers) -> str:
                return "[0-9]+" if match.group(1) in integers else "[^/]+"

            pattern = re.compile("^" + re.sub(r"\{([^}]+)\}", part, template) + "$")
            operations.append((pattern, method.upper(), operation))
    return operations


@functools.cache
def _components() -> dict[str, Any]:
    from backend.api.views.schema import api_schema

    return _json_schema({"components": api_schema("en")["components"]})


def check_response(method: str, path: str, response: Any) -> None:
    if not path.startswith("/api/v1/") or method in ("OPTIONS", "HEAD"):
        return  # OPTIONS answers DRF's metadata, which the schema does not describe
    matches = [op for pattern, m, op in _operations() if m == method and pattern.match(path)]
    if not matches:
        # A URL or method the API does not have: the JSON 404 or 405 (after the log-in and
        # throttle checks), or DEBUG's redirect to the URL with its slash.
        assert response.status_code in (301, 401, 403, 404, 405, 429), (
            f"{method} {path}: not in the schema, answered {response.status_code}"
        )
        return
    # A literal path beats a templated one (``/shifts/drafts/`` before ``/shifts/{id}/``).
    operation = matches[0]
    status = str(response.status_code)
    answers = operation.get("responses", {})
    assert status in answers, (
        f"{method} {path}: {status} is not documented ({sorted(answers)}): "
        f"{response.content[:300]!r}"
    )
    content = answers[status].get("content")
    body = response.content
    if not content:
        assert not body, f"{method} {path}: {status} documents no body but sent {body[:200]!r}"
        return
    media = response.get("Content-Type", "").split(";")[0].strip()
    assert media in content, f"{method} {path}: {status} sent {media}, declared {list(content)}"
    if media != "application/json":
        return
    declared = _json_schema(content[media].get("schema", {}))
    validator = jsonschema.Draft7Validator({**_components(), **declared})
    errors = sorted(validator.iter_errors(json.loads(body)), key=lambda e: list(e.path))
    assert not errors, f"{method} {path}: {status} does not match its schema: " + "; ".join(
        f"{'/'.join(map(str, e.path)) or '(body)'}: {e.message[:200]}" for e in errors[:5]
    )
    codes = answers[status].get("x-error-codes")
    if codes is not None:
        code = json.loads(body).get("code")
        assert code in codes, (
            f"{method} {path}: {status} answered code {code!r}, which the schema does not list "
            f"for it ({codes}): declare it with backend.api.error_codes.raises"
        )


class CheckedAPIClient(APIClient):
    def request(self, **kwargs: Any) -> Any:
        response = super().request(**kwargs)
        check_response(kwargs["REQUEST_METHOD"], kwargs["PATH_INFO"], response)
        return response
