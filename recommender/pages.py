"""Page-level reads for the home page and "For you": rows of cards.

Lists come from the recommendation pipeline (``recommender.pipeline.recommend``) and the other
rows' stars from ``recommender.predictions``; this module only arranges them into rows.
"""
import dataclasses
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from catalog import discovery
from catalog.models import Title
from catalog.selectors import POPULAR_RANKED, TitleFilters, title_ids_matching
from ratings.selectors import continue_watching, dismissed_title_ids, user_scores

from . import serving
from .pipeline import Because, Recommendation, RecommendationRequest, Taste
from .pipeline import recommend as run_pipeline
from .new_on_services import new_on_services
from .predictions import predicted_for, similar_titles

ROW_SIZE = 12
MAX_ROW_SIZE = 40


@dataclass(frozen=True)
class Card:
    title: Title
    predicted: float | None = None
    personalized: bool = False
    because: Because | None = None
    note: str = ""
    taste: Taste | None = None


@dataclass
class Row:
    key: str
    heading: str
    cards: list[Card] = field(default_factory=list)
    link: str = ""


def cards_from(recommendations: list[Recommendation]) -> list[Card]:
    return [Card(r.title, r.predicted_rating, r.personalized, r.because, taste=r.taste) for r in recommendations]


def has_filters(filters: TitleFilters) -> bool:
    return bool(filters.search or filters.genre or filters.kind or filters.platform or filters.platforms)


def _with_predictions(user, titles: list[Title], note: str = "") -> list[Card]:
    predicted = predicted_for(user, [t.pk for t in titles])
    return [Card(t, predicted.get(t.pk), t.pk in predicted, None, note) for t in titles]


def _progress_note(viewing) -> str:
    left = (viewing.duration_seconds - viewing.position_seconds) // 60
    return f"{round(100 * viewing.share)}% watched · {left} min left" if left else f"{round(100 * viewing.share)}% watched"


def recommend(user, n: int, filters: TitleFilters) -> list[Recommendation]:
    """``user``'s list (anonymous visitors: popular titles) through the pipeline."""
    return run_pipeline(RecommendationRequest(user_id=user.pk if user.is_authenticated else None, n=n, filters=filters))


def home_rows(user, filters: TitleFilters = TitleFilters(), per_row: int = ROW_SIZE) -> tuple[list[Row], bool]:
    """The rows of the home page and whether the first one is personal.

    Signed-in users who started titles get "Continue watching" after the first row.
    Personal users get: top picks, new on their services (``new_on_services``), "Because you rated …"
    (titles like their favourites), their favourite genres, new on each platform, popular now,
    lesser-known gems in their predicted order. Everyone else: the best loved titles, new on their
    services, popular now, lesser-known ones by damped average. ``filters.platforms`` (a person's
    services) keeps every row to those platforms.
    """
    rows: list[Row] = []
    authenticated = user.is_authenticated
    seen = (set(user_scores(user)) | dismissed_title_ids(user)) if authenticated else set()
    allowed = set(title_ids_matching(filters).tolist()) if has_filters(filters) else None

    shown: set[int] = set()

    def keep(titles: list[Title]) -> list[Title]:
        """Titles not rated, dismissed or shown in an earlier row, within the filters."""
        kept = [t for t in titles if t.pk not in seen and t.pk not in shown and (allowed is None or t.pk in allowed)][:per_row]
        shown.update(t.pk for t in kept)
        return kept

    top = recommend(user, per_row, filters)
    personal = any(r.personalized for r in top)
    shown.update(r.title.pk for r in top)
    if personal:
        rows.append(Row("top", "Top picks for you", cards_from(top), reverse("recommender:for-you")))
    if authenticated:
        watching = continue_watching(user, per_row)
        if watching:
            rows.append(Row("continue", "Continue watching", [Card(v.title, note=_progress_note(v)) for v in watching],
                            reverse("ratings:watch-history")))
            shown.update(v.title_id for v in watching)
        fresh = [r for r in new_on_services(user, per_row * 2, filters=dataclasses.replace(filters, platforms=()))
                 if r.title.pk not in shown][:per_row]
        shown.update(r.title.pk for r in fresh)
        if fresh:
            rows.append(Row("new-on-services", "New on your services for you", cards_from(fresh)))
    if personal:
        for liked, score in discovery.liked_titles(user, k=2):
            similar = keep(similar_titles(liked, per_row * 3, platforms=filters.platforms))
            if similar:
                rows.append(Row(f"because-{liked.pk}", f"Because you rated {liked.name} {score:g} ★", _with_predictions(user, similar), liked.get_absolute_url()))
        if not filters.genre:
            for genre in discovery.favourite_genres(user, k=2):
                picks = recommend(user, per_row * 3, dataclasses.replace(filters, genre=genre, lesser_known=False))
                picks = [r for r in picks if r.title.pk not in shown][:per_row]
                shown.update(r.title.pk for r in picks)
                if picks:
                    link = reverse("recommender:for-you") + "?" + urlencode({"genre": genre})
                    rows.append(Row(f"genre-{genre}", f"{genre} for you", cards_from(picks), link))
    platforms = discovery.platforms_with_recent_additions(limit=50 if filters.platforms else 3)
    if filters.platform:
        platforms = [p for p in platforms if p.slug == filters.platform]
    if filters.platforms:
        platforms = [p for p in platforms if p.slug in filters.platforms]
    for platform in platforms:
        new = discovery.new_on_platform(platform, per_row * 2, exclude_ids=seen, kind=filters.kind, genre=filters.genre)
        new = keep(new)
        if new:
            link = reverse("catalog:title-list") + "?" + urlencode({"platform": platform.slug, "sort": "newest"})
            rows.append(Row(f"new-{platform.slug}", f"New on {platform.name}", _with_predictions(user, new), link))
    # Over-fetched when kept to some platforms: most of the ranking may be elsewhere.
    now = keep([t for t, _ in discovery.popular_now(per_row * 3 if allowed is None else POPULAR_RANKED, exclude_ids=seen)])
    if now:
        rows.append(Row("popular-now", "Popular now", _with_predictions(user, now), reverse("catalog:title-list")))
    if not filters.search:  # after "Popular now", which keeps its titles
        gems = recommend(user, per_row * 3, dataclasses.replace(filters, lesser_known=True))
        gems = [r for r in gems if r.title.pk not in shown][:per_row]
        shown.update(r.title.pk for r in gems)
        if gems:
            title = "Lesser-known gems for you" if personal else "Lesser-known gems"
            link = reverse("recommender:for-you") + "?lesser_known=1" if personal else reverse("recommender:know-you")
            rows.append(Row("lesser-known", title, cards_from(gems), link))
    if not personal and top:
        rows.insert(0, Row("popular", "Popular on StreamRec", cards_from(top), reverse("catalog:title-list") + "?sort=average"))
    return rows, personal


def for_you(user, n: int, filters: TitleFilters, genres: list[str]) -> list[Recommendation]:
    """The user's top ``n``, in any of ``genres`` (all genres when empty), in the model's order;
    with several genres, their lists taken in turns (first of each, then second of each, ...)."""
    if len(genres) <= 1:
        genre = genres[0] if genres else filters.genre
        return recommend(user, n, dataclasses.replace(filters, genre=genre))
    lists = [recommend(user, n, dataclasses.replace(filters, genre=genre))
             for genre in genres]
    merged: dict[int, Recommendation] = {}
    for position in range(n):
        for picks in lists:
            if position < len(picks):
                merged.setdefault(picks[position].title.pk, picks[position])
    return list(merged.values())[:n]



def warm_up_process() -> None:
    """What a web worker does before its first request (``settings.PROCESS_WARM_UP``): load the
    serving model and its compiled kernels, and fill the shared lists every first page reads (the
    visitors' home rows, the unfiltered candidates), which the first visitor would otherwise wait for."""
    serving.warm_up_process()
    home_rows(AnonymousUser())
    title_ids_matching(TitleFilters())
