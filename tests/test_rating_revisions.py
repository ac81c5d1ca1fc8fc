"""The rating services move the user's cache revision (``streamrec.cache.user_changed``) once a
write that changed something commits, so what the site kept for the user is made again; a write
that changed nothing leaves it, so their kept answers still serve."""
import pytest

from catalog.models import Title
from ratings import services
from ratings.csv_files import import_ratings_csv
from ratings.sync import SyncChange, sync_ratings
from streamrec.cache import revisions, user_key


@pytest.fixture
def titles(db):
    return [Title.objects.create(name=f"Title {n}", year=2000 + n) for n in range(2)]


@pytest.fixture
def moves(django_capture_on_commit_callbacks):
    """``moves(user_id, change)`` runs ``change()`` and its commit callbacks; whether the user's revision moved."""

    def run(user_id, change) -> bool:
        key = user_key(user_id)
        before = revisions(key)[key]
        with django_capture_on_commit_callbacks(execute=True):
            change()
        return revisions(key)[key] != before

    return run


def test_each_write_that_changed_something_moves_the_revision(user, titles, moves):
    title, other = titles
    steps = [
        ("rate", lambda: services.rate_title(user=user, title=title, score=4.0), True),
        ("remove rating", lambda: services.remove_rating(user=user, title=title), True),
        ("remove it again", lambda: services.remove_rating(user=user, title=title), False),
        ("add to watchlist", lambda: services.add_to_watchlist(user=user, title=other), True),
        ("add it again", lambda: services.add_to_watchlist(user=user, title=other), False),
        ("remove from watchlist", lambda: services.remove_from_watchlist(user=user, title=other), True),
        ("remove it again", lambda: services.remove_from_watchlist(user=user, title=other), False),
        ("dismiss", lambda: services.dismiss_title(user=user, title=other), True),
        ("dismiss again", lambda: services.dismiss_title(user=user, title=other), False),
        ("undo dismissal", lambda: services.undo_dismissal(user=user, title=other), True),
        ("undo it again", lambda: services.undo_dismissal(user=user, title=other), False),
        ("sync", lambda: sync_ratings(user=user, changes=[SyncChange(title_id=title.pk, score=2.0)]), True),
        ("sync the same", lambda: sync_ratings(user=user, changes=[SyncChange(title_id=title.pk, score=2.0)]), False),
        ("import CSV", lambda: import_ratings_csv(user, f"title_id,rating\n{other.pk},4.5\n"), True),
        ("import the same", lambda: import_ratings_csv(user, f"title_id,rating\n{other.pk},4.5\n"), False),
    ]
    assert [(name, moves(user.pk, change)) for name, change, _ in steps] == [(name, moved) for name, _, moved in steps]


def test_deleting_an_account_moves_its_revision(user, titles, moves):
    services.rate_title(user=user, title=titles[0], score=3.0)
    user_id = user.pk
    assert moves(user_id, lambda: services.delete_account(user))
