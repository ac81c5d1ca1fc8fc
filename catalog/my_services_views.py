"""Choosing one's streaming services on the site (onboarding, account page) and the lists' switch
between "my services" and everything. The form is drawn by the ``services_form`` template tag."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from .my_services import services_of
from .services import set_services_everything, set_streaming_services


def _back(request, default: str) -> str:
    """Where to go after a change: the page it was made on, a path on this site only."""
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return back
    return default


@login_required
@require_http_methods(["GET", "POST"])
def my_services(request):
    """GET: the services form on a page of its own. POST: store the platforms ticked."""
    if request.method == "GET":
        return render(request, "catalog/my_services.html")
    back = _back(request, reverse("my-services"))
    try:
        chosen = set_streaming_services(user=request.user, slugs=request.POST.getlist("platforms"))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return HttpResponseRedirect(back)
    if chosen:
        messages.success(request, f"Your services: {', '.join(p.name for p in chosen)}. Your lists keep to them.")
    else:
        messages.success(request, "No services chosen: your lists show every platform.")
    return HttpResponseRedirect(back)


@login_required
@require_POST
def services_everything(request):
    """The switch on the lists: include every platform, or keep to the person's services again."""
    everything = request.POST.get("everything") == "1"
    set_services_everything(user=request.user, everything=everything)
    if everything:
        messages.success(request, "Showing titles on every platform.")
    else:
        names = ", ".join(p.name for p in services_of(request.user).platforms)
        messages.success(request, f"Showing only your services ({names}).")
    return HttpResponseRedirect(_back(request, reverse("home")))
