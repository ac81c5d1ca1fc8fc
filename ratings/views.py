from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from catalog.selectors import active_titles

from .forms import RatingForm
from .selectors import user_ratings
from .services import rate_title, remove_rating


def safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
def my_ratings(request):
    page = Paginator(user_ratings(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "ratings/my_ratings.html", {"page": page})


@login_required
@require_POST
def rate(request, title_id: int):
    title = get_object_or_404(active_titles(), pk=title_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a rating from 0.5 to 5 stars in half steps.")
        return redirect(title)
    try:
        _, created = rate_title(user=request.user, title=title, score=form.cleaned_data["score"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(title)
    messages.success(request, f"{'Rated' if created else 'Changed your rating of'} {title.name}: {form.cleaned_data['score']:.1f} ★")
    return redirect(safe_next(request, default=title.get_absolute_url()))


@login_required
@require_POST
def delete(request, title_id: int):
    title = get_object_or_404(active_titles(), pk=title_id)
    if remove_rating(user=request.user, title=title):
        messages.success(request, f"Removed your rating of {title.name}.")
    return redirect(safe_next(request, default=title.get_absolute_url()))
