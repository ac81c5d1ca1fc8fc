"""The exploratory analysis behind /insights/: every figure is read from the database.

``insights()`` returns plain lists and numbers (JSON-ready) and caches them for a few minutes:
the page runs aggregate queries over every rating.
"""
from collections import defaultdict

import numpy as np
from django.core.cache import cache
from django.db.models import Avg, Count, Q

from .models import Availability, Credit, Genre, Title
from .release_facts import releases_per_month, releases_per_weekday

CACHE_KEY = "insights:v2"
CACHE_SECONDS = 600
# Buckets of "ratings per user": the long tail shows on a log-like scale.
USER_BUCKETS = [(1, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, 199), (200, 499), (500, 999), (1000, None)]
TOP_PEOPLE = 10
# Runtime buckets in minutes (the last is open).
RUNTIME_BUCKETS = [(0, 79), (80, 89), (90, 99), (100, 109), (110, 119), (120, 139), (140, 159), (160, None)]
# People need this many rated titles to rank by average rating.
MIN_TITLES_FOR_AVERAGE = 3


def insights(use_cache: bool = True) -> dict:
    if use_cache:
        cached = cache.get(CACHE_KEY)
        if cached is not None:
            return cached
    data: dict = {
        "rating_distribution": rating_distribution(),
        "ratings_per_user": ratings_per_user(),
        "titles_per_year": titles_per_year(),
        "titles_per_genre": titles_per_genre(),
        "kinds_per_platform": kinds_per_platform(),
        "releases_by_month": releases_per_month(),
        "releases_by_weekday": releases_per_weekday(),
        "added_by_month": releases_per_month(by="added"),
        "added_by_weekday": releases_per_weekday(by="added"),
        "directors": top_people(Credit.Role.DIRECTOR),
        "actors": top_people(Credit.Role.ACTOR),
        "runtimes": runtimes(),
        "maturity_ratings": maturity_ratings(),
        "imdb_ratings": imdb_ratings(),
    }
    # The page draws a chart only where there is data behind it (a new catalog has no platforms,
    # release dates or credits until their files are imported).
    data["release_dates_known"] = any(m["count"] for m in data["releases_by_month"] + data["added_by_month"])
    cache.set(CACHE_KEY, data, CACHE_SECONDS)
    return data


def rating_distribution() -> dict:
    from ratings.models import ALLOWED_SCORES, Rating

    counts = dict(Rating.objects.filter(title__is_active=True).values("score").annotate(n=Count("id")).values_list("score", "n"))
    total = sum(counts.values())
    mean = Rating.objects.filter(title__is_active=True).aggregate(mean=Avg("score"))["mean"]
    return {
        "labels": [f"{s:g}" for s in ALLOWED_SCORES],
        "counts": [counts.get(s, 0) for s in ALLOWED_SCORES],
        "total": total,
        "mean": round(mean, 2) if mean is not None else None,
        "whole_star_share": round(sum(counts.get(float(s), 0) for s in range(1, 6)) / total, 3) if total else None,
    }


def ratings_per_user() -> dict:
    """The long tail: how many users wrote how many ratings, and the share the most active 1% wrote."""
    from ratings.models import Rating

    counts = np.array(
        sorted(Rating.objects.values("user").annotate(n=Count("id")).values_list("n", flat=True), reverse=True), dtype=np.int64
    )
    labels, users = [], []
    for low, high in USER_BUCKETS:
        labels.append(f"{low}+" if high is None else f"{low}–{high}")
        mask = counts >= low if high is None else (counts >= low) & (counts <= high)
        users.append(int(mask.sum()))
    total = int(counts.sum())
    top = max(1, int(np.ceil(len(counts) * 0.01))) if len(counts) else 0
    return {
        "labels": labels,
        "users": users,
        "n_users": int(len(counts)),
        "n_ratings": total,
        "median": float(np.median(counts)) if len(counts) else None,
        "max": int(counts[0]) if len(counts) else None,
        "top_1pct_users": top,
        "top_1pct_share": round(float(counts[:top].sum()) / total, 3) if total else None,
    }


def titles_per_year() -> dict:
    rows = dict(
        Title.objects.filter(is_active=True, year__isnull=False).values("year").annotate(n=Count("id")).values_list("year", "n")
    )
    if not rows:
        return {"labels": [], "counts": []}
    years = list(range(min(rows), max(rows) + 1))
    return {"labels": years, "counts": [rows.get(y, 0) for y in years]}


def titles_per_genre() -> dict:
    rows = list(
        Genre.objects.annotate(n=Count("titles", filter=Q(titles__is_active=True))).filter(n__gt=0).order_by("-n", "name").values_list("name", "n")
    )
    return {"labels": [name for name, _ in rows], "counts": [n for _, n in rows]}


def kinds_per_platform() -> dict:
    rows = (
        Availability.objects.filter(title__is_active=True)
        .values("platform__name", "title__kind")
        .annotate(n=Count("title", distinct=True))
        .order_by("platform__name")
    )
    table: dict[str, dict[str, int]] = defaultdict(lambda: {"movie": 0, "series": 0})
    for row in rows:
        table[row["platform__name"]][row["title__kind"]] = row["n"]
    names = sorted(table)
    return {"labels": names, "movies": [table[n]["movie"] for n in names], "series": [table[n]["series"] for n in names]}


def top_people(role: str) -> dict:
    """People with most titles in ``role``, and the best by the average of their titles' average ratings."""
    from ratings.models import Rating

    by_count = list(
        Credit.objects.filter(role=role, title__is_active=True)
        .values("person_id", "person__name")
        .annotate(n=Count("title", distinct=True))
        .order_by("-n", "person__name")[:TOP_PEOPLE]
    )
    title_avg = dict(
        Rating.objects.filter(title__is_active=True, title__credits__role=role)
        .values("title_id")
        .annotate(avg=Avg("score"))
        .values_list("title_id", "avg")
    )
    per_person: dict[int, list[float]] = defaultdict(list)
    names: dict[int, str] = {}
    for person_id, name, title_id in Credit.objects.filter(role=role, title_id__in=list(title_avg)).values_list(
        "person_id", "person__name", "title_id"
    ):
        per_person[person_id].append(title_avg[title_id])
        names[person_id] = name

    def average(person_id: int) -> float | None:
        values = per_person.get(person_id)
        return round(sum(values) / len(values), 2) if values else None

    best = sorted(
        (pid for pid, values in per_person.items() if len(values) >= MIN_TITLES_FOR_AVERAGE),
        key=lambda pid: (-average(pid), names[pid]),
    )[:TOP_PEOPLE]
    return {
        "by_count": [{"id": r["person_id"], "name": r["person__name"], "titles": r["n"], "average": average(r["person_id"])} for r in by_count],
        "by_average": [{"id": pid, "name": names[pid], "titles": len(per_person[pid]), "average": average(pid)} for pid in best],
        "min_titles": MIN_TITLES_FOR_AVERAGE,
    }


def runtimes() -> dict:
    """How many active titles run how long (titles with a known runtime)."""
    minutes = list(Title.objects.filter(is_active=True, runtime_minutes__isnull=False).values_list("runtime_minutes", flat=True))
    labels, counts = [], []
    for low, high in RUNTIME_BUCKETS:
        labels.append(f"{low}+" if high is None else f"< {high + 1}" if low == 0 else f"{low}–{high}")
        counts.append(sum(1 for m in minutes if m >= low and (high is None or m <= high)))
    return {"labels": labels, "counts": counts, "total": len(minutes),
            "median": float(np.median(minutes)) if minutes else None}


def maturity_ratings() -> dict:
    """Active titles per maturity (MPAA or platform) rating, most common first."""
    rows = list(Title.objects.filter(is_active=True).exclude(maturity_rating="").values("maturity_rating")
                .annotate(n=Count("id")).order_by("-n", "maturity_rating").values_list("maturity_rating", "n"))
    return {"labels": [name for name, _ in rows], "counts": [n for _, n in rows]}


def imdb_ratings() -> dict:
    """Active titles per whole IMDb rating (1-10), and how many have one."""
    values = list(Title.objects.filter(is_active=True, imdb_rating__isnull=False).values_list("imdb_rating", flat=True))
    labels = list(range(1, 11))
    counts = [sum(1 for v in values if min(max(int(v), 1), 10) == label) for label in labels]
    return {"labels": labels, "counts": counts, "total": len(values)}
