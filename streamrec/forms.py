"""Forms of the account pages that live in this app: sign-up, password reset, email address."""
from django import forms
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.core.exceptions import ValidationError

from .accounts import clean_address, send_confirmation
from .outbox import enqueue


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        required=False, label="Email (optional)",
        help_text="Only to reset a forgotten password, and for the weekly digest if you ask for it.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def clean_email(self):
        try:
            return clean_address(self.cleaned_data.get("email"))
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit and user.email:
            send_confirmation(user)
        return user


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's form, except that the mail is left to a worker (``streamrec.tasks.send_password_reset``),
    which also looks the address up: the request does the same work whether or not an account has
    it, so neither the answer nor its timing tells."""

    def save(self, *args, **kwargs):
        enqueue("streamrec.tasks.send_password_reset", self.cleaned_data["email"])


class EmailForm(forms.Form):
    email = forms.EmailField(required=False, label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
