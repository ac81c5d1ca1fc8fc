from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog.models import Platform, Title
from catalog.selectors import all_genres
from ratings.services import delete_account as delete_account_service
from recommender.pages import MAX_ROW_SIZE, ROW_SIZE, home_rows
from recommender.selectors import MIN_RATINGS_FOR_PERSONAL
from recommender.views import count_from, filters_from


def home(request):
    filters = filters_from(request)
    per_row = count_from(request, ROW_SIZE, MAX_ROW_SIZE)
    rows, personal = home_rows(request.user, filters, per_row)
    return render(
        request,
        "home.html",
        {
            "rows": rows,
            "personal": personal,
            "min_ratings": MIN_RATINGS_FOR_PERSONAL,
            "rating_count": request.user.ratings.count() if request.user.is_authenticated else 0,
            "filters": filters,
            "has_filters": any(request.GET.get(k) for k in ("genre", "kind", "platform", "n")),
            "genres": all_genres(),
            "kinds": Title.Kind.choices,
            "platforms": Platform.objects.order_by("name"),
            "n": per_row,
        },
    )


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        return redirect("recommender:onboarding")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


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
