"""The account pages: what the account holds, and deleting it (with its ratings)."""
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .services import delete_account as delete_account_service


@login_required
def account(request):
    user = request.user
    return render(
        request,
        "registration/account.html",
        {"rating_count": user.ratings.count(), "watchlist_count": user.watchlist.count(), "hidden_count": user.dismissals.count()},
    )


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
