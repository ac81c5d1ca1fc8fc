"""The account pages: what the account holds, a copy of it all, and deleting it (with its ratings)."""
import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from streamrec.selectors import email_status

from .models import NOVELTY_STOPS
from .personal_data import personal_data
from .selectors import novelty_of, watch_history_paused
from .services import delete_account as delete_account_service
from .services import set_novelty as set_novelty_service


@login_required
def account(request):
    user = request.user
    return render(
        request,
        "registration/account.html",
        {"rating_count": user.ratings.count(), "watchlist_count": user.watchlist.count(), "hidden_count": user.dismissals.count(),
         "novelty": novelty_of(user), "novelty_stops": NOVELTY_STOPS, "watch_paused": watch_history_paused(user),
         "email": email_status(user)},
    )


@login_required
@require_http_methods(["GET"])
def export_my_data(request):
    """Download my data: the same document as ``GET /api/v1/me/export/``, as a file."""
    body = json.dumps(personal_data(request.user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"streamrec-data-{request.user.pk}-{timezone.now():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def set_novelty(request):
    """Move the user's popular <-> lesser-known dial, then go back to the page it was moved on."""
    back = request.POST.get("next", "")
    # A path on this site only: not another host, nor a URL name that redirect() would resolve.
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("account")
    try:
        value = set_novelty_service(user=request.user, novelty=request.POST.get("novelty"))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return HttpResponseRedirect(back)
    label = "popular" if value < 0.34 else "lesser-known" if value > 0.66 else "balanced"
    messages.success(request, f"Your lists now lean {label}.")
    return HttpResponseRedirect(back)


class DeleteAccountForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}), label="Your password")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    form = DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        removed = delete_account_service(user)
        messages.success(request, f"Your account and its {removed} rating{'s' if removed != 1 else ''} are deleted. Goodbye!")
        return redirect("home")
    return render(request, "registration/delete_account.html", {"form": form}, status=400 if form.errors else 200)
