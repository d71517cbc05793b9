"""The API's pagination: page numbers for most lists, a cursor for the shift list.

Nonsense in the query string is a 400 with the parameter named (``page_size=0``,
``page=abc``, a cursor that was not ours), never silently the first page and never a 404: an
app's bug shows up where it is. A ``page_size`` over the maximum is capped (documented), and a
page number past the last page stays a 404, as in DRF.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination
from rest_framework.request import Request

MAX_PAGE_SIZE = 100


def _positive_int(request: Request, name: str) -> int | None:
    """The query parameter ``name`` as a positive integer; None if absent; else a 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValidationError({name: [_("Give a whole number of 1 or more.")]})
    return value


class _StrictPageSize:
    page_size: int | None
    page_size_query_param: str | None = "page_size"
    max_page_size: int | None = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int | None:
        assert self.page_size_query_param is not None
        asked = _positive_int(request, self.page_size_query_param)
        if asked is None:
            return self.page_size
        return min(asked, self.max_page_size or asked)


class PageNumberPagination(_StrictPageSize, BasePageNumberPagination):
    page_size = 20

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        if request.query_params.get(self.page_query_param) not in self.last_page_strings:
            _positive_int(request, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)


class ShiftCursorPagination(_StrictPageSize, CursorPagination):
    """The shift list pages by position in time, without a total count.

    Counting every visible shift costs a scan of all of them on every request (45 ms of
    PostgreSQL time at 100,000 shifts, most of the request), while an app scrolling through
    shifts only needs the next page. Stable under inserts, too: a shift created while a
    volunteer scrolls doesn't shift the pages.
    """

    ordering = ("starts_at", "id")
    page_size = 20

    def decode_cursor(self, request: Request) -> Cursor | None:
        """The cursor, its position a datetime (the start of a shift)."""
        try:
            cursor = super().decode_cursor(request)
            if cursor is None or cursor.position is None:
                return cursor
            position = parse_datetime(str(cursor.position))
            if position is None or position.tzinfo is None:
                raise NotFound()
        except (NotFound, ValueError):
            raise ValidationError(
                {self.cursor_query_param: [_("This cursor is not one the API gave out.")]}
            ) from None
        # django-stubs type the position as an int; DRF keeps whatever the ordering field holds.
        return cursor._replace(position=position)  # type: ignore[arg-type]


PageRead = Callable[[bool, "dt.datetime | None", int, int], list[Any]]


@dataclass(frozen=True)
class ShiftPageRead:
    """Stands in for the queryset that ``ShiftCursorPagination`` pages through.

    DRF's cursor pagination orders the queryset, filters it by the cursor's position and
    slices it; this records the order and position it asks for and, on the slice, calls
    ``read(descending, after, offset, limit)``: the domain's one-statement page
    (``backend.shifts.listing.shift_page``) instead of a queryset built per request. The
    pagination's links and cursors stay DRF's own.
    """

    read: PageRead
    descending: bool = False
    after: dt.datetime | None = None

    def order_by(self, *ordering: str) -> ShiftPageRead:
        if ordering[0].lstrip("-") != "starts_at":
            raise ValueError(f"the shift list is ordered by its start, not {ordering}")
        return replace(self, descending=ordering[0].startswith("-"))

    def filter(self, **position: dt.datetime) -> ShiftPageRead:
        expected = "starts_at__lt" if self.descending else "starts_at__gt"
        ((lookup, after),) = position.items()
        if lookup != expected:
            raise ValueError(f"a {expected} position was expected, not {lookup}")
        return replace(self, after=after)

    def __getitem__(self, window: slice) -> list[Any]:
        offset = window.start or 0
        return self.read(self.descending, self.after, offset, window.stop - offset)
