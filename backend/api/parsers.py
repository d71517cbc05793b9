"""The API's JSON parser: DRF's, refusing JSON that is valid text but no request of ours.

- Nesting past the interpreter's recursion limit (``[`` 100,000 times) makes ``json`` raise
  ``RecursionError``, which DRF does not turn into a 400 (it expects ``ValueError``): a 500 on
  every endpoint, anonymous ones included. Nesting just under the limit parses, and then breaks
  whatever walks the value next (``str()`` of it in an error message recurses as deep).
- An escaped lone surrogate (``"\\ud800"``) is valid JSON but no Unicode text. DRF's
  ``CharField`` refuses it; a ``ChoiceField`` quotes it in its error message, which then
  cannot be encoded as UTF-8 (a 500 while rendering the 400).

Both are ``malformed`` here, once, for every endpoint and every field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No request body of the API nests more than three levels (an object holding a list of ids).
MAX_DEPTH = 32

TOO_DEEP = _("The request body is nested too deeply.")
NOT_UNICODE = _("The request body holds text that is not valid Unicode.")


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        check_json_value(data)
        return data


def check_json_value(data: Any) -> None:
    """Raise ``ParseError`` for nesting deeper than ``MAX_DEPTH`` or text that is not Unicode.

    Iterative, so the check itself cannot recurse too deep; a typical body has a handful of
    values.
    """
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if not _is_unicode(value):
                raise ParseError(NOT_UNICODE)
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise ParseError(TOO_DEEP)
            items = [*value, *value.values()] if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)


def _is_unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True
