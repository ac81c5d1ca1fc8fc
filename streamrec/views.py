from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import accounts
from .forms import EmailForm, QueuedPasswordResetForm, SignupForm
from .throttles import page_throttle_wait


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        if user.email:
            messages.info(request, f"We sent a link to {user.email}: follow it to confirm the address.")
        return redirect("recommender:onboarding")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view and templates' names; the mail goes from a worker (``QueuedPasswordResetForm``)."""

    form_class = QueuedPasswordResetForm
    success_url = reverse_lazy("password_reset_done")


def throttled(request):
    """A 429 page when this request spends past the ``email`` budget (per IP, or per account when
    signed in), else None."""
    wait = page_throttle_wait(request, "email")
    if wait is None:
        return None
    return TemplateResponse(request, "429.html", {"retry_after": wait}, status=429, headers={"Retry-After": str(wait)})


@login_required
@require_POST
def change_email(request):
    if refused := throttled(request):
        return refused
    form = EmailForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That is not an email address.")
        return redirect("account")
    try:
        changed = accounts.set_email(request.user, form.cleaned_data["email"])
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("account")
    if changed and request.user.email:
        messages.success(request, f"We sent a link to {request.user.email}: follow it to confirm the address.")
    elif changed:
        messages.success(request, "Your email address is removed. Without one, a forgotten password cannot be reset.")
    return redirect("account")


@login_required
@require_POST
def resend_confirmation(request):
    if refused := throttled(request):
        return refused
    if request.user.email:
        accounts.send_confirmation(request.user)
        messages.success(request, f"We sent a new link to {request.user.email}.")
    return redirect("account")


@login_required
@require_POST
def set_weekly_digest(request):
    wanted = request.POST.get("weekly_digest") == "on"
    accounts.set_weekly_digest(request.user, wanted)
    messages.success(request, "You will get the weekly digest." if wanted else "You will not get the weekly digest.")
    return redirect("account")


@require_http_methods(["GET"])
def confirm_email(request, token: str):
    try:
        user = accounts.confirm_address(token)
    except accounts.ConfirmationError as error:
        return render(request, "registration/email_confirm.html", {"error": error.reason}, status=400)
    return render(request, "registration/email_confirm.html", {"address": user.email})


# No CSRF token: the signed link is the credential, and mail clients' one-click unsubscribe
# (RFC 8058, the List-Unsubscribe-Post header) POSTs to it from outside the site.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """One click: following the link (GET) or the mail client's POST turns the digest off."""
    try:
        user = accounts.unsubscribe(token)
    except (signing.BadSignature, ValueError, accounts.User.DoesNotExist):
        return render(request, "registration/unsubscribed.html", {"error": True}, status=400)
    return render(request, "registration/unsubscribed.html", {"address": user.email})
