"""Which error ``code`` each API operation can answer, for the schema.

Every operation can answer the general codes of the statuses it documents (``GENERAL``); a view
method declares the domain's own with :func:`raises` (the error classes of
``backend.core.errors``, or a code and status for the API's own). The schema lists them per
response (``x-error-codes`` and the description) and, per operation, as an enum component
``<OperationId>ErrorCode`` that generated clients get as a type to compare ``Error.code``
with. ``Error.code`` itself stays a string, so a client built from an older schema still reads
an error whose code is newer. The API test suite checks that every error it meets is declared
(``tests/schema_check.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from backend.core.errors import DomainError

F = TypeVar("F", bound=Callable[..., Any])

GENERAL: dict[str, tuple[str, ...]] = {
    "400": ("invalid", "malformed"),
    "401": ("not_authenticated", "token_not_valid"),
    "403": ("permission_denied",),
    "404": ("not_found",),
    "409": (),
    "413": ("too_large",),
    "415": ("unsupported_media_type",),
    "429": ("throttled",),
    "503": ("busy", "database_unavailable"),
}


def raises(*errors: type[DomainError] | tuple[str, int]) -> Callable[[F], F]:
    """Declare the domain errors a view method can answer, beyond the general ones (stacked
    declarations add up)."""

    def mark(func: F) -> F:
        declared = {status: set(codes) for status, codes in declared_codes(func).items()}
        for error in errors:
            code, status = (error.code, error.status) if isinstance(error, type) else error
            declared.setdefault(str(status), set()).add(code)
        func.error_codes = declared  # type: ignore[attr-defined]
        return func

    return mark


def declared_codes(func: Any) -> dict[str, set[str]]:
    return dict(getattr(func, "error_codes", {}))
