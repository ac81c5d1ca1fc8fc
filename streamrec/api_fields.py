"""API building blocks shared by the apps' APIs (catalog, ratings, recommender): pagination, path
ids, query-string text and the short form of a title. Imports no app, so any app may use them."""
from rest_framework import pagination, serializers
from rest_framework.exceptions import NotFound

MAX_ID = 2**63 - 1  # ids are 64-bit; anything larger cannot name a row


class Pagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def object_id(value) -> int:
    """A path id as an int, or 404 (never a database error for ``abc`` or 10**30)."""
    try:
        number = int(str(value))
    except ValueError:
        raise NotFound() from None
    if not 0 < number <= MAX_ID:
        raise NotFound()
    return number


class SafeCharField(serializers.CharField):
    """Query-string text: trimmed, at most 200 characters, never a NUL byte (PostgreSQL refuses them)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", "")
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)


# A title in short, wherever the API nests one: id, name, year and genre names of a
# ``catalog.models.Title``. A plain serializer, not a model one, so that it needs no import of the
# catalog; its limits are those of ``Title``'s fields (``name`` at most 300 characters, ``year`` a
# positive small integer), as the schema showed them when it was a model serializer. (Comments, not
# a docstring: a serializer's docstring becomes its description in the OpenAPI schema.)
class TitleSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=300)
    year = serializers.IntegerField(min_value=0, max_value=32767, allow_null=True, required=False)
    genres = serializers.ListField(child=serializers.CharField(), source="genre_names", read_only=True, help_text="genre names")
