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


MAX_IMPORT_BYTES = 5 * 1024 * 1024


class RatingsImportForm(forms.Form):
    file = forms.FileField(
        label="MovieLens-style CSV",
        help_text="Columns movieId (or title_id, imdbId, tmdbId), rating and optionally timestamp; at most 5 MB.",
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        try:
            cleaned["text"] = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        return cleaned
