"""Writes to accounts: sign-up shared by the web form and the API."""
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

User = get_user_model()


def register_user(*, username: str, password: str):
    """Create an account after Django's username and password validation."""
    username = (username or "").strip()
    candidate = User(username=username)
    candidate.full_clean(exclude=["password"])
    password_validation.validate_password(password, user=candidate)
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, password=password)
    except IntegrityError:
        raise ValidationError({"username": ["A user with that username already exists."]}) from None
