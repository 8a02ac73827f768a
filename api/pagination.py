from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N` (from 1) and `?page_size=N` (up to 500); 50 by default."""

    page_size_query_param = "page_size"
    max_page_size = 500


class RatingCursorPagination(pagination.CursorPagination):
    """Ratings by id with an opaque `?cursor=`: stable pages however many ratings arrive
    while a client pages through, and no COUNT over a million rows."""

    ordering = "id"
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000
