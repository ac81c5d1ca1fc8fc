"""Reads of model versions and of what the models learn titles from."""
from collections import defaultdict

from django.db.models import Q

from catalog.models import Credit, GenomeScore, Title
from catalog.selectors import active_titles
from catalog.tag_selectors import tags_by_title

from .content import TitleContent
from .models import ModelVersion
from .services import ARTIFACT_ERROR_PREFIX


def serving_version() -> ModelVersion | None:
    """The ready version activated most recently: the one every process serves."""
    return (
        ModelVersion.objects.filter(status=ModelVersion.Status.READY, activated_at__isnull=False)
        .order_by("-activated_at", "-pk")
        .first()
    )


# Top-billed cast members carry taste; the long tail of extras only adds noise.
CAST_MEMBERS_PER_TITLE = 6
# Tag-genome tags this relevant to a title count as one application of the tag.
GENOME_RELEVANCE = 0.8


def title_genres(title_ids) -> dict[int, list[str]]:
    """Each title's genre names (titles without a genre are left out)."""
    genres: dict[int, list[str]] = defaultdict(list)
    rows = Title.genres.through.objects.filter(title_id__in=[int(t) for t in title_ids]).values_list("title_id", "genre__name")
    for title_id, name in rows.order_by("title_id", "genre__name"):
        genres[title_id].append(name)
    return genres


def title_contents(title_ids: list[int]) -> list[TitleContent]:
    """What the content model knows of each title: genres, people, keywords, tags, kind, year, description."""
    genres = title_genres(title_ids)
    people: dict[int, list[str]] = defaultdict(list)
    credits = Credit.objects.filter(title_id__in=title_ids).filter(
        Q(role=Credit.Role.DIRECTOR) | Q(order__lt=CAST_MEMBERS_PER_TITLE)
    )
    for title_id, name in credits.values_list("title_id", "person__name"):
        people[title_id].append(name)
    keywords: dict[int, list[str]] = defaultdict(list)
    for title_id, name in Title.keywords.through.objects.filter(title_id__in=title_ids).values_list("title_id", "keyword__name"):
        keywords[title_id].append(name)
    tags = tags_by_title(title_ids)
    genome = GenomeScore.objects.filter(title_id__in=title_ids, relevance__gte=GENOME_RELEVANCE)
    for title_id, name in genome.values_list("title_id", "tag__name"):
        tags.setdefault(title_id, []).append(name)
    rows = Title.objects.filter(pk__in=title_ids).values_list("pk", "kind", "year", "description")
    by_id = {
        pk: TitleContent(pk, kind, year, genres[pk], people[pk], keywords[pk], description or "", tags.get(pk, ()))
        for pk, kind, year, description in rows
    }
    return [by_id[title_id] for title_id in title_ids if title_id in by_id]


def unrated_active_title_ids(known_ids) -> list[int]:
    """Active titles outside ``known_ids`` (titles a model has factors for)."""
    known = set(int(title_id) for title_id in known_ids)
    return [pk for pk in active_titles().values_list("pk", flat=True).order_by("pk") if pk not in known]


def versions_with_artifact_errors() -> list[ModelVersion]:
    """Ready versions whose artifact a process found missing or corrupted (see
    ``services.record_artifact_error``), newest first: shown to staff."""
    return list(
        ModelVersion.objects.filter(status=ModelVersion.Status.READY, error__startswith=ARTIFACT_ERROR_PREFIX).order_by("-created_at", "-pk")
    )


def fallback_versions(serving: ModelVersion) -> list[ModelVersion]:
    """Older ready versions that served before ``serving``, newest first: rollback candidates."""
    return list(
        ModelVersion.objects.filter(status=ModelVersion.Status.READY, activated_at__lt=serving.activated_at)
        .order_by("-activated_at")[:5]
    )
