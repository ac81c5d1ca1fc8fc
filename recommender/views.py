from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from catalog.models import Title
from catalog.selectors import TitleFilters, all_genres

from .selectors import MIN_RATINGS_FOR_PERSONAL, recommend_for_user

MAX_RECOMMENDATIONS = 100


@login_required
def for_you(request):
    try:
        n = max(1, min(int(request.GET.get("n", 20)), MAX_RECOMMENDATIONS))
    except ValueError:
        n = 20
    filters = TitleFilters(
        genre=request.GET.get("genre", "").strip(),
        kind=request.GET.get("kind", "") if request.GET.get("kind") in Title.Kind.values else "",
    )
    recommendations = recommend_for_user(request.user, n=n, filters=filters)
    return render(
        request,
        "recommender/for_you.html",
        {
            "recommendations": recommendations,
            "personalized": any(r.personalized for r in recommendations),
            "min_ratings": MIN_RATINGS_FOR_PERSONAL,
            "rating_count": request.user.ratings.count(),
            "filters": filters,
            "genres": all_genres(),
            "n": n,
        },
    )
