from rest_framework.pagination import CursorPagination
from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination


class PageNumberPagination(BasePageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class ShiftCursorPagination(CursorPagination):
    """The shift list pages by position in time, without a total count.

    Counting every visible shift costs a scan of all of them on every request (45 ms of
    PostgreSQL time at 100,000 shifts, most of the request), while an app scrolling through
    shifts only needs the next page. Stable under inserts, too: a shift created while a
    volunteer scrolls doesn't shift the pages.
    """

    ordering = ("starts_at", "id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
