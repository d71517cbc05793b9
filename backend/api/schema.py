"""OpenAPI generation: every operation documents the error shape it can answer with."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from backend.api.error_codes import GENERAL, declared_codes


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    detail = serializers.CharField(help_text="Human-readable explanation, translated.")
    # The metaclass moves declared fields off the class, so this doesn't shadow `.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per-field messages for validation errors; empty otherwise.",
    )


_ERROR_DESCRIPTIONS = {
    "400": "Invalid input",
    "401": "Not authenticated",
    "403": "Not allowed",
    "404": "Not found, or not visible to you",
    "409": "A rule of the domain refused it; `code` says which",
    "413": "Request body too large (Django's DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MiB)",
    "415": "The body is not JSON",
    "429": "Too many requests; try again after `Retry-After` seconds",
    "503": "Nothing was changed; try again after `Retry-After` seconds",
}
# A code named in a view's own description of an error response (`shift_full`).
_CODE = re.compile(r"`([a-z][a-z0-9_]*)`")
_WRITES = ("POST", "PUT", "PATCH", "DELETE")


class AutoSchema(BaseAutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            self._list_error_codes(operation)
        return operation

    def _list_error_codes(self, operation: dict[str, Any]) -> None:
        """Each error response lists its codes (``x-error-codes`` and the description); the
        operation's codes are an enum component (``backend/api/error_codes.py``)."""
        declared = declared_codes(getattr(self.view, self.method.lower(), None))
        responses = operation["responses"]
        for status in declared:
            if status not in responses:
                responses[status] = self._get_response_for_code(ErrorSerializer, status)
                responses[status]["description"] = _ERROR_DESCRIPTIONS.get(status, "Refused")
        every: set[str] = set()
        for status, body in responses.items():
            if status[0] not in "45":
                continue
            named = set(_CODE.findall(body.get("description", "")))
            codes = sorted(set(GENERAL.get(status, ())) | declared.get(status, set()) | named)
            body["x-error-codes"] = codes
            every.update(codes)
            listed = ", ".join(f"`{code}`" for code in codes)
            base = _ERROR_DESCRIPTIONS.get(status, "Refused")
            body["description"] = f"{base}. Codes: {listed}." if codes else f"{base}."
        name = "".join(part[:1].upper() + part[1:] for part in operation["operationId"].split("_"))
        component = ResolvedComponent(
            name=f"{name}ErrorCode",
            type=ResolvedComponent.SCHEMA,
            object=f"{name}ErrorCode",
            schema={
                "type": "string",
                "enum": sorted(every),
                "description": f"The error codes of `{self.method} {self.path}`.",
            },
        )
        self.registry.register_on_missing(component)
        operation["x-error-codes"] = component.ref

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)  # type: ignore[arg-type]
        public = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        for code, description in _ERROR_DESCRIPTIONS.items():
            if code == "401" and public:
                continue
            if code == "404" and "{" not in self.path and self.method != "GET":
                continue
            if code in ("413", "415") and self.method not in ("POST", "PUT", "PATCH"):
                continue
            if code == "409" and self.method not in _WRITES:
                continue
            if code not in responses:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                body["description"] = description
                responses[code] = body
        # drf-spectacular lists every renderer's media type for every answer. Errors are always
        # JSON; a feed's success is only its own format (``success_media_types`` on the view).
        success_types = getattr(self.view, "success_media_types", None)
        for code, body in responses.items():
            content = body.get("content")
            if not content:
                continue
            if code.startswith("2"):
                if success_types:
                    body["content"] = {k: v for k, v in content.items() if k in success_types}
            elif "application/json" in content:
                body["content"] = {"application/json": content["application/json"]}
        return responses


def markdown_descriptions(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the docstrings are reStructuredText (``code``),
    the schema's descriptions Markdown (`code`)."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: value.replace("``", "`")
                if key == "description" and isinstance(value, str)
                else walk(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(result)
