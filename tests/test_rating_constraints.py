import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.models import Title
from ratings.models import Rating
from ratings.services import rate_title, remove_rating, validate_score


@pytest.fixture
def title(db):
    return Title.objects.create(name="Heat", year=1995)


@pytest.mark.parametrize("score", [0, 0.25, 4.3, 5.5, -1, 10])
def test_database_rejects_scores_outside_half_stars(user, title, score):
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(user=user, title=title, score=score)
    assert not Rating.objects.exists()


@pytest.mark.parametrize("score", [0.5, 1.0, 2.5, 4.5, 5.0])
def test_database_accepts_half_stars(user, title, score):
    Rating.objects.create(user=user, title=title, score=score)
    assert Rating.objects.get().score == score


def test_database_allows_one_rating_per_user_and_title(user, title):
    Rating.objects.create(user=user, title=title, score=3.0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(user=user, title=title, score=4.0)
    assert Rating.objects.count() == 1


@pytest.mark.parametrize("score", ["abc", None, 4.3, "5.5", 0])
def test_validate_score_explains_bad_input(score):
    with pytest.raises(ValidationError, match="Score must"):
        validate_score(score)


def test_rate_title_creates_then_changes_one_rating(user, title):
    first, created = rate_title(user=user, title=title, score="3.5")
    second, created_again = rate_title(user=user, title=title, score=4.5)
    assert (created, created_again) == (True, False)
    assert first.pk == second.pk
    assert Rating.objects.get().score == 4.5


def test_rate_title_refuses_an_inactive_title(user, title):
    title.is_active = False
    title.save()
    with pytest.raises(ValidationError):
        rate_title(user=user, title=title, score=4.0)
    assert not Rating.objects.exists()


def test_remove_rating_reports_whether_there_was_one(user, title):
    rate_title(user=user, title=title, score=2.0)
    assert remove_rating(user=user, title=title) is True
    assert remove_rating(user=user, title=title) is False


def test_watchlist_and_dismissal_are_once_per_user_and_title(user, title):
    from ratings.services import add_to_watchlist, dismiss_title, remove_from_watchlist, undo_dismissal

    assert add_to_watchlist(user=user, title=title) is True
    assert add_to_watchlist(user=user, title=title) is False
    assert dismiss_title(user=user, title=title) is True
    assert dismiss_title(user=user, title=title) is False
    assert user.watchlist.count() == 1 and user.dismissals.count() == 1
    assert remove_from_watchlist(user=user, title=title) and undo_dismissal(user=user, title=title)
    assert not user.watchlist.exists() and not user.dismissals.exists()
