from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from ratings.forms import RatingForm
from ratings.selectors import title_rating_stats, user_rating_of

from .models import Title
from .selectors import TitleFilters, active_titles, all_genres, search_titles

TITLES_PER_PAGE = 24


def title_list(request):
    filters = TitleFilters(
        search=request.GET.get("q", "").strip(),
        genre=request.GET.get("genre", "").strip(),
        kind=request.GET.get("kind", "") if request.GET.get("kind") in Title.Kind.values else "",
    )
    page = Paginator(search_titles(filters), TITLES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "catalog/title_list.html",
        {"page": page, "filters": filters, "genres": all_genres(), "kinds": Title.Kind.choices, "query": query.urlencode()},
    )


def title_detail(request, pk: int):
    title = get_object_or_404(active_titles().prefetch_related("genres"), pk=pk)
    rating = user_rating_of(request.user, title)
    return render(
        request,
        "catalog/title_detail.html",
        {
            "title": title,
            "stats": title_rating_stats(title),
            "rating": rating,
            "form": RatingForm(initial={"score": rating.score if rating else None}),
        },
    )
