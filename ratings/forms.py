from django import forms

from .models import ALLOWED_SCORES


def score_label(score: float) -> str:
    return f"{score:.1f} ★"


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=[("", "Choose…")] + [(str(score), score_label(score)) for score in ALLOWED_SCORES],
        coerce=float,
        label="Your rating",
    )
