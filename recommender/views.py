from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from catalog import discovery
from catalog.choices import filter_choices
from catalog.models import Title
from catalog.my_services import services_of
from catalog.selectors import TitleFilters
from ratings.models import NOVELTY_STOPS
from ratings.selectors import known_title_count, novelty_of

from . import pages
from .models import ModelVersion
from .onboarding import ask_first
from .pages import MAX_ROW_SIZE, ROW_SIZE, home_rows
from .pipeline import MIN_RATINGS_FOR_PERSONAL
from .selectors import serving_version, versions_with_artifact_errors

MAX_RECOMMENDATIONS = 100
# Onboarding asks for this many ratings; MIN_RATINGS_FOR_PERSONAL already makes picks personal.
ONBOARDING_GOAL = 5
ONBOARDING_PAGE = 24


def count_from(request, default: int, maximum: int) -> int:
    try:
        return max(1, min(int(request.GET.get("n", default)), maximum))
    except ValueError:
        return default


def choices_context() -> dict:
    choices = filter_choices()
    return {"genres": choices.genres, "kinds": choices.kinds, "platforms": choices.platforms}


def filters_from(request) -> TitleFilters:
    return TitleFilters(
        genre=request.GET.get("genre", "").strip()[:64],
        kind=request.GET.get("kind", "") if request.GET.get("kind") in Title.Kind.values else "",
        platform=request.GET.get("platform", "").strip()[:40],
        lesser_known=request.GET.get("lesser_known") == "1",
    )


@login_required
def for_you(request):
    n = count_from(request, 20, MAX_RECOMMENDATIONS)
    services = services_of(request.user)
    filters = services.filters(filters_from(request))
    genres = [g.strip() for g in request.GET.getlist("genre") if g.strip()][:10]
    recommendations = pages.for_you(request.user, n, filters, genres)
    return render(
        request,
        "recommender/for_you.html",
        {
            "recommendations": recommendations,
            "personalized": any(r.personalized for r in recommendations),
            "min_ratings": MIN_RATINGS_FOR_PERSONAL,
            "rating_count": known_title_count(request.user),
            "filters": filters,
            "selected_genres": {g.lower() for g in genres},
            **choices_context(),
            "n": n,
            "novelty": novelty_of(request.user),
            "novelty_stops": NOVELTY_STOPS,
            "services": services,
        },
    )


def _onboarding(request, lesser_known: bool):
    genre = request.GET.get("genre", "").strip()[:64]
    try:
        batch = max(0, min(int(request.GET.get("batch", 0)), 20))
    except ValueError:
        batch = 0
    titles = discovery.onboarding_titles(request.user, n=ONBOARDING_PAGE * (batch + 1), genre=genre,
                                         lesser_known=lesser_known, ask_first=ask_first)
    titles = titles[ONBOARDING_PAGE * batch :] or titles[:ONBOARDING_PAGE]
    rated = request.user.ratings.count()
    return render(
        request,
        "recommender/onboarding.html",
        {
            "titles": titles,
            "lesser_known": lesser_known,
            "genre": genre,
            "genres": discovery.onboarding_genres(),
            "batch": batch,
            "rated": rated,
            # One number in the copy (the goal); the button already turns to "Show my
            # recommendations" at MIN_RATINGS_FOR_PERSONAL, when picks become personal.
            "goal": ONBOARDING_GOAL,
            "to_go": max(0, ONBOARDING_GOAL - rated),
            "min_ratings": MIN_RATINGS_FOR_PERSONAL,
            "progress": min(100, round(100 * rated / ONBOARDING_GOAL)),
        },
    )


@login_required
def onboarding(request):
    return _onboarding(request, lesser_known=False)


@login_required
def know_you(request):
    return _onboarding(request, lesser_known=True)


@staff_member_required
def model_versions(request):
    versions = list(ModelVersion.objects.order_by("created_at", "pk"))
    chart = {
        "labels": [f"v{v.pk} {v.created_at:%Y-%m-%d %H:%M}" for v in versions if v.rmse is not None],
        "rmse": [round(v.rmse, 4) for v in versions if v.rmse is not None],
        "mae": [round(v.mae, 4) if v.mae is not None else None for v in versions if v.rmse is not None],
    }
    return render(
        request,
        "staff/model_versions.html",
        {"versions": list(reversed(versions)), "serving": serving_version(), "chart": chart, "broken": versions_with_artifact_errors()},
    )


def home(request):
    services = services_of(request.user)
    filters = services.filters(filters_from(request))
    per_row = count_from(request, ROW_SIZE, MAX_ROW_SIZE)
    rows, personal = home_rows(request.user, filters, per_row)
    return render(
        request,
        "home.html",
        {
            "rows": rows,
            "personal": personal,
            "min_ratings": MIN_RATINGS_FOR_PERSONAL,
            "rating_count": known_title_count(request.user) if request.user.is_authenticated else 0,
            "filters": filters,
            "has_filters": any(request.GET.get(k) for k in ("genre", "kind", "platform", "n")),
            **choices_context(),
            "n": per_row,
            "services": services,
        },
    )
