"""Watch history pages: the history itself (delete an entry, pause recording, clear everything) and
the title page's "I'm watching this" / "I finished it" marks, which record the same events a player
reports through the API."""
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .selectors import active_titles, watch_events, watch_history_paused
from .views import reply
from .watch_services import EventInput, clear_history, delete_event, record_events, set_history_paused

# A title without a known runtime is marked as an hour long: only the share watched matters.
DEFAULT_DURATION_SECONDS = 3600


@login_required
def watch_history(request):
    page = Paginator(watch_events(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "ratings/watch_history.html", {"page": page, "paused": watch_history_paused(request.user)})


@login_required
@require_POST
def mark_watching(request, title_id: int):
    """Record that the user started (``action=start``) or finished (``action=finish``) a title."""
    title = get_object_or_404(active_titles(), pk=title_id)
    finish = request.POST.get("action") == "finish"
    duration = (title.runtime_minutes or 0) * 60 or DEFAULT_DURATION_SECONDS
    event = EventInput(title_id=title.pk, event="finish" if finish else "start", position_seconds=duration if finish else 0,
                       duration_seconds=duration, client_event_id=f"web-{uuid.uuid4()}", occurred_at=timezone.now())
    result = record_events(user=request.user, items=[event])
    if result.paused:
        message = "Your watch history is paused: nothing was recorded. Resume it on your watch history page."
    elif finish and request.user.ratings.filter(title=title).exists():
        message = f"Marked {title.name} as watched."
    elif finish:
        message = f"Marked {title.name} as watched. Rate it to tell us how you liked it."
    else:
        message = f"{title.name} is in Continue watching."
    return reply(request, {"ok": not result.paused, "message": message}, title.get_absolute_url())


@login_required
@require_POST
def delete_watch_event(request, event_id: int):
    if delete_event(user=request.user, event_id=event_id):
        messages.success(request, "Removed that entry from your watch history.")
    else:
        messages.error(request, "That entry is not in your watch history.")
    return redirect("ratings:watch-history")


@login_required
@require_POST
def pause_watch_history(request):
    paused = request.POST.get("paused") == "1"
    set_history_paused(user=request.user, paused=paused)
    messages.success(request, "Watch history paused: nothing new is recorded." if paused else "Watch history is recorded again.")
    return redirect("ratings:watch-history")


@login_required
@require_POST
def clear_watch_history(request):
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm that your whole watch history should be deleted.")
        return redirect("ratings:watch-history")
    removed = clear_history(user=request.user)
    messages.success(request, f"Deleted your watch history ({removed} entr{'y' if removed == 1 else 'ies'}).")
    return redirect("ratings:watch-history")
