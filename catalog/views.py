import dataclasses

from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from ratings.forms import RatingForm
from ratings.models import Dismissal, Viewing, WatchlistEntry
from ratings.selectors import title_rating_stats, user_rating_of, user_scores

from . import discovery, tag_selectors
from .choices import filter_choices
from .insights import insights as insights_data
from .models import Credit, ImportRun, Person, Title, TitleDetails
from .my_services import platform_data_exists, services_of, where_to_watch
from .personalization import personalization
from .selectors import TitleBrowse, TitleFilters, active_titles, listing

TITLES_PER_PAGE = 24
SORTS = [("relevance", "Best match"), ("popular", "Most rated"), ("predicted", "Predicted for me"), ("average", "Average rating"),
         ("newest", "Newest"), ("title", "Title A–Z")]
SORT_ORDERING = {"relevance": "relevance", "popular": "popular", "average": "-average", "newest": "-year", "title": "name"}
# Sorting by average rating ignores titles with fewer ratings than this (one 5-star rating is no signal).
MIN_VOTES_FOR_AVERAGE_SORT = 10


def _int(value, low=None, high=None):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return number


def _float(value, low: float, high: float):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def browse_from_request(request) -> tuple[TitleBrowse, dict]:
    get = request.GET
    decade = _int(get.get("decade"), 1870, 2100)
    year_min = _int(get.get("year_min"), 1870, 2100)
    year_max = _int(get.get("year_max"), 1870, 2100)
    if decade is not None:
        year_min, year_max = year_min or decade, year_max or decade + 9
    search = get.get("q", "").strip()[:200]
    # A search lists the closest names first (then the most rated); "Best match" needs a search.
    sort = get.get("sort") or ("relevance" if search else "popular")
    sort = sort if sort in dict(SORTS) and (search or sort != "relevance") else "popular"
    filters = TitleFilters(
        search=search,
        genre=get.get("genre", "").strip()[:64],
        kind=get.get("kind", "") if get.get("kind") in Title.Kind.values else "",
        platform=get.get("platform", "").strip()[:40],
    )
    spec = TitleBrowse(
        filters=filters,
        year_min=year_min,
        year_max=year_max,
        min_average=_float(get.get("min_avg"), 0.5, 5.0),
        min_votes=MIN_VOTES_FOR_AVERAGE_SORT if sort == "average" else None,
        ordering=SORT_ORDERING.get(sort, "popular"),
    )
    form = {
        "q": filters.search, "person": get.get("person", "").strip()[:200], "genre": filters.genre, "kind": filters.kind,
        "platform": filters.platform, "decade": decade, "year_min": _int(get.get("year_min")), "year_max": _int(get.get("year_max")),
        "min_avg": spec.min_average, "sort": sort,
    }
    return spec, form


def title_list(request):
    spec, form = browse_from_request(request)
    services = services_of(request.user)
    spec = dataclasses.replace(spec, filters=services.filters(spec.filters))
    sort_note = ""
    if form["sort"] == "predicted":
        # The candidates without counting every title's ratings (an order that needs no stats).
        candidates = listing(dataclasses.replace(spec, ordering="name"), person=form["person"])
        ranked = personalization().ranked_for_user(request.user, candidates)
        if ranked:
            page = Paginator(ranked, TITLES_PER_PAGE).get_page(request.GET.get("page"))
            found = candidates.in_bulk([title_id for title_id, _ in page.object_list])
            page.object_list = [found[title_id] for title_id, _ in page.object_list if title_id in found]
            sort_note = "Titles you have rated are left out."
        else:
            page = Paginator(listing(spec, person=form["person"]), TITLES_PER_PAGE).get_page(request.GET.get("page"))
            sort_note = ("Rate a few titles to sort by your predicted rating; meanwhile this is by popularity."
                         if request.user.is_authenticated else "Log in and rate a few titles to sort by your predicted rating.")
    else:
        page = Paginator(listing(spec, person=form["person"]), TITLES_PER_PAGE).get_page(request.GET.get("page"))
        if form["sort"] == "average":
            sort_note = f"Titles with at least {MIN_VOTES_FOR_AVERAGE_SORT} ratings."
    ids = [title.pk for title in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    choices = filter_choices()
    return render(
        request,
        "catalog/title_list.html",
        {
            "page": page,
            "form": form,
            "filters": spec.filters,
            "genres": choices.genres,
            "kinds": choices.kinds,
            "platforms": choices.platforms,
            "decades": choices.decades,
            "sorts": [(value, label) for value, label in SORTS if value != "relevance" or form["q"]],
            "sort_note": sort_note,
            "predicted": personalization().predicted_for(request.user, ids),
            "mine": user_scores(request.user) if request.user.is_authenticated else {},
            "people": discovery.matching_people(form["q"]) if form["q"] and not form["person"] else [],
            "has_filters": any(request.GET.get(k) for k in ("q", "person", "genre", "kind", "platform", "decade", "year_min", "year_max", "min_avg")),
            "query": query.urlencode(),
            "services": services,
        },
    )


def title_detail(request, pk: int):
    title = active_titles().prefetch_related("genres").filter(pk=pk).first()
    if title is None:
        survivor = tag_selectors.survivor_of(pk)  # a title merged into another: its page moved
        if survivor is not None:
            return redirect("catalog:title-detail", pk=survivor, permanent=True)
        raise Http404("No such title")
    user = request.user
    rating = user_rating_of(user, title)
    personal = personalization()
    services = services_of(user)
    similar = personal.similar_titles(title, 12, platforms=services.filters().platforms)
    availabilities = where_to_watch(title, services)
    outlook = personal.title_outlook(user, title, rated=rating is not None, similar_ids=[t.pk for t in similar])
    context = {
        "title": title,
        "details": TitleDetails.objects.filter(title=title).first(),
        "stats": title_rating_stats(title),
        "histogram": discovery.rating_histogram(title),
        "credits": discovery.credits_of(title),
        "top_tags": tag_selectors.top_tags(title.pk),
        "availabilities": availabilities,
        "any_mine": any(a["mine"] for a in availabilities),
        "services": services,
        "platform_data": bool(availabilities) or platform_data_exists(),
        "rating": rating,
        "form": RatingForm(initial={"score": rating.score if rating else None}),
        "similar": similar,
        "similar_predicted": outlook.similar_predicted,
        "similar_rated": outlook.similar_rated,
        "predicted": outlook.predicted,
        "because": outlook.because,
        "on_watchlist": False,
        "hidden": False,
    }
    if user.is_authenticated:
        context["on_watchlist"] = WatchlistEntry.objects.filter(user=user, title=title).exists()
        context["hidden"] = Dismissal.objects.filter(user=user, title=title).exists()
        context["viewing"] = Viewing.objects.filter(user=user, title=title).first()
    return render(request, "catalog/title_detail.html", context)


def person_detail(request, pk: int):
    from .selectors import person_filmography

    person = get_object_or_404(Person, pk=pk)
    filmography = person_filmography(person)
    roles = [(Credit.Role(role).label, data) for role, data in filmography.items() if data["count"]]
    ids = [t.pk for _, data in roles for t in data["titles"]]
    return render(request, "catalog/person_detail.html", {"person": person, "roles": roles, "predicted": personalization().predicted_for(request.user, ids)})


def insights(request):
    return render(request, "catalog/insights.html", {"data": insights_data()})


@staff_member_required
def import_runs(request):
    page = Paginator(ImportRun.objects.order_by("-started_at", "-pk"), 50).get_page(request.GET.get("page"))
    return render(request, "staff/import_runs.html", {"page": page})


@staff_member_required
def import_run_detail(request, pk: int):
    run = get_object_or_404(ImportRun, pk=pk)
    page = Paginator(run.rejected_rows.order_by("line_number", "pk"), 100).get_page(request.GET.get("page"))
    return render(request, "staff/import_run_detail.html", {"run": run, "page": page})
