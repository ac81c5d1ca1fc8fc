"""Writes to model versions."""
from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import ModelVersion


def activate_version(version: ModelVersion) -> ModelVersion:
    """Make ``version`` the serving one (also used to roll back to an older ready version)."""
    if version.status != ModelVersion.Status.READY:
        raise ValidationError(f"only a ready version can serve; v{version.pk} is {version.status}")
    version.activated_at = timezone.now()
    version.save(update_fields=["activated_at"])
    return version
