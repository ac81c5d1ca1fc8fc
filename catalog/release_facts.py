"""Release facts: how many titles came out, or were added to a platform, per month and per
weekday (the insights page and the API's ``facts/`` endpoints)."""
import calendar

from django.db.models import Count
from django.db.models.functions import ExtractIsoWeekDay, ExtractMonth

from .models import Availability, TitleDetails

RELEASE_DATES = {"release": "details__release_date", "added": "availabilities__date_added"}


def _dated_titles(by: str, year: int | None, platform: str):
    """(title id, date) rows of active titles: TMDB release dates, or the dates platforms added them."""
    if by == "added":
        rows = Availability.objects.filter(title__is_active=True, date_added__isnull=False)
        if platform:
            rows = rows.filter(platform__slug=platform)
        field = "date_added"
    else:
        rows = TitleDetails.objects.filter(title__is_active=True, release_date__isnull=False)
        if platform:
            rows = rows.filter(title__availabilities__platform__slug=platform).distinct()
        field = "release_date"
    if year is not None:
        rows = rows.filter(**{f"{field}__year": year})
    return rows, field


def releases_per_month(by: str = "release", year: int | None = None, platform: str = "") -> list[dict]:
    """How many titles came out (or were added to a platform) in each month of the year, 1 to 12."""
    rows, field = _dated_titles(by, year, platform)
    counts = dict(rows.annotate(month=ExtractMonth(field)).values("month").annotate(n=Count("title_id", distinct=True)).values_list("month", "n"))
    return [{"month": month, "name": calendar.month_name[month], "count": counts.get(month, 0)} for month in range(1, 13)]


def releases_per_weekday(by: str = "release", year: int | None = None, platform: str = "") -> list[dict]:
    """How many titles came out (or were added) on each weekday, Monday (1) to Sunday (7)."""
    rows, field = _dated_titles(by, year, platform)
    counts = dict(
        rows.annotate(weekday=ExtractIsoWeekDay(field)).values("weekday").annotate(n=Count("title_id", distinct=True)).values_list("weekday", "n")
    )
    return [{"weekday": day, "name": calendar.day_name[day - 1], "count": counts.get(day, 0)} for day in range(1, 8)]
