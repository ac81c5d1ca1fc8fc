"""Reads of the entity-resolution and tag data: where a merged title went, a title's top tags."""
from django.db.models import Count

from .models import TagApplication, TitleMerge

TOP_TAGS = 10


def survivor_of(title_id: int) -> int | None:
    """The title a merged title was folded into (its old address redirects there), else None."""
    return (
        TitleMerge.objects.filter(merged_title_id=title_id, survivor__isnull=False)
        .order_by("-created_at").values_list("survivor_id", flat=True).first()
    )


def top_tags(title_id: int, n: int = TOP_TAGS) -> list[dict]:
    """A title's most applied tags: [{"name", "count"}], most people first, then by name."""
    rows = (
        TagApplication.objects.filter(title_id=title_id)
        .values("tag__name").annotate(count=Count("id")).order_by("-count", "tag__name")[:n]
    )
    return [{"name": row["tag__name"], "count": row["count"]} for row in rows]


def tags_by_title(title_ids) -> dict[int, list[str]]:
    """Each title's tags, one entry per person who applied it (the content model counts them)."""
    found: dict[int, list[str]] = {}
    for title_id, name in TagApplication.objects.filter(title_id__in=list(title_ids)).values_list("title_id", "tag__name"):
        found.setdefault(title_id, []).append(name)
    return found
