from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from .csv_files import export_ratings_csv, import_ratings_csv
from .forms import RatingForm, RatingsImportForm
from .models import Dismissal
from .selectors import active_titles, user_ratings, user_watchlist
from .services import (
    add_to_watchlist,
    dismiss_title,
    mark_not_seen,
    rate_title,
    remove_from_watchlist,
    remove_rating,
    undo_dismissal,
)

RATING_ORDERS = {
    "recent": ("-updated_at", "-pk"),
    "oldest": ("updated_at", "pk"),
    "high": ("-score", "-updated_at"),
    "low": ("score", "-updated_at"),
    "title": ("title__name", "title_id"),
}


def safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def wants_json(request) -> bool:
    """Progressive enhancement: the page's script asks for JSON; a plain form post gets a redirect."""
    return "application/json" in request.headers.get("Accept", "")


def reply(request, payload: dict, default_next: str, status: int = 200):
    if wants_json(request):
        return JsonResponse(payload, status=status)
    if payload.get("message"):
        (messages.success if status < 400 else messages.error)(request, payload["message"])
    return redirect(safe_next(request, default=default_next))


@login_required
def my_ratings(request):
    order = request.GET.get("sort", "recent")
    order = order if order in RATING_ORDERS else "recent"
    page = Paginator(user_ratings(request.user).order_by(*RATING_ORDERS[order]), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "ratings/my_ratings.html",
        {"page": page, "sort": order, "sorts": [("recent", "Recently rated"), ("oldest", "Oldest first"), ("high", "Highest first"), ("low", "Lowest first"), ("title", "Title A–Z")],
         "query": f"sort={order}", "import_form": RatingsImportForm()},
    )


@login_required
@require_POST
def rate(request, title_id: int):
    title = get_object_or_404(active_titles(), pk=title_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return reply(request, {"ok": False, "message": "Choose a rating from 0.5 to 5 stars in half steps."}, title.get_absolute_url(), status=400)
    try:
        _, created = rate_title(user=request.user, title=title, score=form.cleaned_data["score"])
    except ValidationError as exc:
        return reply(request, {"ok": False, "message": " ".join(exc.messages)}, title.get_absolute_url(), status=400)
    score = form.cleaned_data["score"]
    return reply(
        request,
        {"ok": True, "score": score, "created": created, "rating_count": request.user.ratings.count(),
         "message": f"{'Rated' if created else 'Changed your rating of'} {title.name}: {score:.1f} ★"},
        title.get_absolute_url(),
    )


@login_required
@require_POST
def delete(request, title_id: int):
    title = get_object_or_404(active_titles(), pk=title_id)
    removed = remove_rating(user=request.user, title=title)
    return reply(
        request,
        {"ok": True, "score": None, "removed": removed, "rating_count": request.user.ratings.count(),
         "message": f"Removed your rating of {title.name}." if removed else ""},
        title.get_absolute_url(),
    )


@login_required
@require_GET
def export_csv(request):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="streamrec-ratings-{request.user.username}-{timezone.now():%Y%m%d}.csv"'
    export_ratings_csv(request.user, response)
    return response


@login_required
@require_POST
def import_csv(request):
    form = RatingsImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("ratings:mine")
    try:
        result = import_ratings_csv(request.user, form.cleaned_data["text"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("ratings:mine")
    summary = f"Imported ratings: {result.created} new, {result.updated} changed, {result.unchanged} unchanged"
    if result.skipped:
        summary += f", {result.skipped} skipped ({'; '.join(result.problems)}{'…' if result.skipped > len(result.problems) else ''})"
    (messages.warning if result.skipped else messages.success)(request, summary + ".")
    return redirect("ratings:mine")


# Watchlist and "not interested"


@login_required
def watchlist(request):
    entries = user_watchlist(request.user).prefetch_related("title__genres")
    return render(request, "ratings/watchlist.html", {"entries": entries})


@login_required
@require_POST
def watchlist_toggle(request, title_id: int):
    title = get_object_or_404(active_titles(), pk=title_id)
    if request.POST.get("action") == "remove":
        remove_from_watchlist(user=request.user, title=title)
        payload = {"ok": True, "on_watchlist": False, "message": f"Removed {title.name} from your watchlist."}
    else:
        add_to_watchlist(user=request.user, title=title)
        payload = {"ok": True, "on_watchlist": True, "message": f"Added {title.name} to your watchlist."}
    return reply(request, payload, title.get_absolute_url())


@login_required
def hidden(request):
    dismissals = Dismissal.objects.filter(user=request.user).select_related("title")
    return render(request, "ratings/hidden.html", {"dismissals": dismissals})


@login_required
@require_POST
def hide_toggle(request, title_id: int):
    title = get_object_or_404(active_titles(), pk=title_id)
    if request.POST.get("action") == "undo":
        undo_dismissal(user=request.user, title=title)
        payload = {"ok": True, "hidden": False, "message": f"{title.name} can be recommended again."}
    else:
        dismiss_title(user=request.user, title=title)
        remove_from_watchlist(user=request.user, title=title)
        payload = {"ok": True, "hidden": True, "message": f"Got it: {title.name} will not be recommended again."}
    return reply(request, payload, title.get_absolute_url())



@login_required
@require_POST
def not_seen(request, title_id: int):
    """Onboarding's "Haven't seen": one click, and the title is not asked about again."""
    title = get_object_or_404(active_titles(), pk=title_id)
    mark_not_seen(user=request.user, title=title)
    return reply(request, {"ok": True, "not_seen": True, "message": f"Noted: you have not seen {title.name}."},
                 "/")
