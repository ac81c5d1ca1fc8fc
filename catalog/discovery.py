"""Page-level reads of the catalog for the website: onboarding picks, rows on the home page,
browsing, title pages. Whatever is personal (predicted stars) comes from ``recommender``."""
from collections.abc import Callable

from django.db.models import Count, Max, Q

from streamrec.cache import POPULAR_SECONDS, shared

from . import onboarding
from .models import Availability, Credit, Genre, Platform, Title
from .selectors import POPULAR_RANKED, TitleFilters, active_titles, catalog_key, filter_titles
from .summaries import title_summaries

# --- Onboarding: titles that teach the model most ---------------------------------------------------------

ONBOARDING_POOL = 400


def onboarding_titles(user, n: int = 24, genre: str = "", lesser_known: bool = False,
                      ask_first: Callable[[list[onboarding.Candidate], int], list] | None = None) -> list[Title]:
    """Titles for a new user to rate, from the ``ONBOARDING_POOL`` most-rated ones: in the order
    ``ask_first(candidates, n)`` gives (the recommender's expected information), or popular first
    spread across genres and decades (``onboarding.spread``) without one.

    ``lesser_known`` keeps to the lesser-known band (``selectors.lesser_known_band``: outside the
    most-rated fifth, yet rated often enough to be recognised): the model knows the blockbusters
    already, and a rating of a lesser-known title teaches it more about the person. Titles the user
    rated, hid or said they have not seen are not asked again.
    """
    from ratings.models import Dismissal, NotSeen, Rating

    seen = set(Rating.objects.filter(user=user).values_list("title_id", flat=True))
    seen |= set(Dismissal.objects.filter(user=user).values_list("title_id", flat=True))
    seen |= set(NotSeen.objects.filter(user=user).values_list("title_id", flat=True))
    filters = TitleFilters(genre=genre, lesser_known=lesser_known)
    queryset = filter_titles(active_titles(), filters).annotate(rating_count=Count("ratings")).filter(rating_count__gt=0)
    queryset = queryset.order_by("-rating_count", "pk")[: ONBOARDING_POOL + len(seen)]
    titles = [t for t in queryset.prefetch_related("genres") if t.pk not in seen][:ONBOARDING_POOL]
    candidates = [
        onboarding.Candidate(t, t.rating_count, frozenset(g.name for g in t.genres.all()), (t.year // 10 * 10) if t.year else None)
        for t in titles
    ]
    return (ask_first or onboarding.spread)(candidates, n)


def onboarding_genres(limit: int = 12) -> list[Genre]:
    """The genres with most titles: the taste groups a new user can start from."""
    return list(
        Genre.objects.annotate(n=Count("titles", filter=Q(titles__is_active=True))).filter(n__gt=0).order_by("-n", "name")[:limit]
    )


# --- Home page rows -------------------------------------------------------------------------------------


# "Popular now" looks at the most recent ratings: at least this many, or this share of all of them.
RECENT_RATINGS_MIN = 1000
RECENT_RATINGS_SHARE = 0.05


def recent_window_start():
    """When the window of recent ratings starts: the site's "now" is its newest ratings, however old the
    data (the embedded MovieLens ratings end in 2016). Cached until the next rating is written."""
    from ratings.models import Rating

    newest_id = Rating.objects.aggregate(newest=Max("id"))["newest"]
    key = f"recent-window:{newest_id}"
    cached = shared.get(key)
    if cached is not None:
        return cached or None
    total = Rating.objects.count()
    size = max(RECENT_RATINGS_MIN, int(total * RECENT_RATINGS_SHARE))
    row = Rating.objects.order_by("-created_at").values_list("created_at", flat=True)[size - 1 : size].first() if total else None
    if row is None and total:
        row = Rating.objects.order_by("created_at").values_list("created_at", flat=True).first()
    shared.set(key, row or "", POPULAR_SECONDS)
    return row


def popular_now(n: int, exclude_ids=()) -> list[tuple[Title, int]]:
    """Titles rated most among the newest ratings (see ``recent_window_start``), as (title, recent ratings).

    The ranking is the same for everybody and counts every recent rating, so it is kept in the cache
    for a few minutes under the catalog revision (like ``popular_titles``); a user's own exclusions
    apply at once.
    """
    # One key, not one per window: the window moves with every new rating, the ranking hardly. The
    # window is found only to rank: a newcomer's first page, just after their first ratings, reads the kept ranking.
    def ranked(exclude=()) -> list[tuple[int, int]]:
        since = recent_window_start()
        return [] if since is None else popular_now_ranking(since, exclude)

    ranking = shared.get_or_set(catalog_key("popular-now"), ranked, POPULAR_SECONDS)
    exclude = set(exclude_ids)
    picked = [(pk, recent) for pk, recent in ranking if pk not in exclude][:n]
    if len(picked) < n and len(ranking) == POPULAR_RANKED:
        # This user has rated or hidden most of the cached ranking: rank the rest for them.
        picked = ranked(exclude)[:n]
    titles = title_summaries([pk for pk, _ in picked])
    return [(titles[pk], recent) for pk, recent in picked if pk in titles][:n]


def popular_now_ranking(since, exclude_ids=()) -> list[tuple[int, int]]:
    return list(
        active_titles()
        .exclude(pk__in=list(exclude_ids))
        .annotate(recent=Count("ratings", filter=Q(ratings__created_at__gte=since)))
        .filter(recent__gt=0)
        .order_by("-recent", "pk")
        .values_list("pk", "recent")[:POPULAR_RANKED]
    )


def platforms_with_recent_additions(limit: int = 2) -> list[Platform]:
    """Platforms that added titles, the most recent additions first."""
    return list(
        Platform.objects.annotate(newest=Max("availabilities__date_added", filter=Q(availabilities__title__is_active=True)))
        .filter(newest__isnull=False)
        .order_by("-newest", "name")[:limit]
    )


def new_on_platform(platform: Platform, n: int, exclude_ids=(), kind: str = "", genre: str = "") -> list[Title]:
    """Titles the platform added most recently."""
    rows = (
        Availability.objects.filter(platform=platform, date_added__isnull=False, title__is_active=True)
        .exclude(title_id__in=list(exclude_ids))
        .order_by("-date_added", "pk")
    )
    if kind:
        rows = rows.filter(title__kind=kind)
    if genre:
        rows = rows.filter(title__genres__name__iexact=genre)
    ids: list[int] = []
    for title_id in rows.values_list("title_id", flat=True)[: n * 3]:
        if title_id not in ids:
            ids.append(title_id)
        if len(ids) == n:
            break
    found = active_titles().prefetch_related("genres").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def favourite_genres(user, k: int = 2) -> list[str]:
    """The genres of the titles ``user`` liked most (rated 4 or more), most liked first."""
    from ratings.models import Rating

    rows = (
        Genre.objects.filter(titles__ratings__user=user, titles__ratings__score__gte=4.0)
        .annotate(n=Count("titles__ratings"))
        .order_by("-n", "name")
        .values_list("name", flat=True)[:k]
    )
    names = list(rows)
    if not names and Rating.objects.filter(user=user).exists():
        names = list(
            Genre.objects.filter(titles__ratings__user=user).annotate(n=Count("titles__ratings")).order_by("-n", "name").values_list("name", flat=True)[:k]
        )
    return names


def liked_titles(user, k: int = 2) -> list[tuple[Title, float]]:
    """``user``'s best rated titles, newest rating first among equals: seeds of "Because you rated"."""
    from ratings.models import Rating

    rows = Rating.objects.filter(user=user, score__gte=4.0, title__is_active=True).select_related("title").order_by("-score", "-updated_at")[:k]
    return [(r.title, r.score) for r in rows]


# --- Browsing -------------------------------------------------------------------------------------------


def matching_people(search: str, limit: int = 6) -> list:
    """People whose name contains ``search``, most credited first (for "search by person")."""
    from .models import Person

    if len(search.strip()) < 3:
        return []
    return list(
        Person.objects.filter(name__icontains=search.strip())
        .annotate(n=Count("credits", filter=Q(credits__title__is_active=True)))
        .filter(n__gt=0)
        .order_by("-n", "name")[:limit]
    )


# --- Title page -------------------------------------------------------------------------------------------


def rating_histogram(title: Title) -> list[dict]:
    """How many ratings of ``title`` gave each half star, 0.5 to 5.0, with bar heights in percent."""
    from ratings.models import ALLOWED_SCORES, Rating

    counts = dict(Rating.objects.filter(title=title).values("score").annotate(n=Count("id")).values_list("score", "n"))
    most = max(counts.values(), default=0)
    return [
        {"score": score, "count": counts.get(score, 0), "percent": round(100 * counts.get(score, 0) / most) if most else 0}
        for score in ALLOWED_SCORES
    ]


def credits_of(title: Title, cast_size: int = 10) -> dict:
    rows = list(Credit.objects.filter(title=title).select_related("person").order_by("role", "order", "pk"))
    return {
        "directors": [c for c in rows if c.role == Credit.Role.DIRECTOR],
        "cast": [c for c in rows if c.role == Credit.Role.ACTOR][:cast_size],
    }
