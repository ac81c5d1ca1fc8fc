"""Writes to model versions."""
from django.core.exceptions import ValidationError
from django.utils import timezone

from streamrec.cache import serving_version_changed

from .models import ModelVersion


def activate_version(version: ModelVersion) -> ModelVersion:
    """Make ``version`` the serving one (also used to roll back to an older ready version)."""
    if version.status != ModelVersion.Status.READY:
        raise ValidationError(f"only a ready version can serve; v{version.pk} is {version.status}")
    version.activated_at = timezone.now()
    version.save(update_fields=["activated_at"])
    serving_version_changed(version.pk)
    return version


ARTIFACT_ERROR_PREFIX = "Artifact check failed"


def record_artifact_error(version: ModelVersion, message: str) -> None:
    """Note on ``version`` that its artifact is missing or corrupted, for staff to see; the version
    keeps its status (the file can be restored, or staff roll back to another version)."""
    text = f"{ARTIFACT_ERROR_PREFIX} {timezone.now():%Y-%m-%d %H:%M:%S %Z}: {message}"[:2000]
    ModelVersion.objects.filter(pk=version.pk).update(error=text)
    version.error = text


def clear_artifact_error(version: ModelVersion) -> None:
    """The artifact loads again (restored): drop the note left by ``record_artifact_error``."""
    if version.error.startswith(ARTIFACT_ERROR_PREFIX):
        ModelVersion.objects.filter(pk=version.pk, error__startswith=ARTIFACT_ERROR_PREFIX).update(error="")
        version.error = ""
