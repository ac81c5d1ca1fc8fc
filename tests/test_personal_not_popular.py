"""The demo site's bar of the personal-not-popular issue: on the embedded MovieLens data, new users
with clearly different tastes (no rated title in common, a different favourite genre) get clearly
different top-10 lists (mean pairwise Jaccard <= 0.10); at least half of each list shares the
genre its user showed (the horror fan of the issue gets >= 5 horror titles); and the explanations
name a rated title that shares a genre with the recommendation in >= 90 % of cases."""
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Title
from ratings.services import rate_title

# Each taste: eight well-known titles of one genre rated 5 stars, two of another rated 1 star, as
# the horror fan did. No title is rated by two of them.
TASTES = {
    "Horror": {
        5.0: [("The Shining", 1980), ("Alien", 1979), ("Psycho", 1960), ("The Blair Witch Project", 1999),
              ("Scream", 1996), ("Aliens", 1986), ("Interview with the Vampire: The Vampire Chronicles", 1994),
              ("The Mummy", 1999)],
        1.0: [("Toy Story", 1995), ("Aladdin", 1992)],
    },
    "Animation": {
        5.0: [("The Lion King", 1994), ("Beauty and the Beast", 1991), ("Snow White and the Seven Dwarfs", 1937),
              ("The Little Mermaid", 1989), ("Cinderella", 1950), ("Pinocchio", 1940), ("Bambi", 1942),
              ("Finding Nemo", 2003)],
        1.0: [("Reservoir Dogs", 1992), ("Seven (a.k.a. Se7en)", 1995)],
    },
    "Romance": {
        5.0: [("Sleepless in Seattle", 1993), ("Pretty Woman", 1990), ("Notting Hill", 1999),
              ("When Harry Met Sally...", 1989), ("Four Weddings and a Funeral", 1994), ("You've Got Mail", 1998),
              ("Ghost", 1990), ("Sense and Sensibility", 1995)],
        1.0: [("Die Hard", 1988), ("Terminator 2: Judgment Day", 1991)],
    },
}


def models_storage(folder) -> dict:
    return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": folder}}


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker, tmp_path_factory):
    """The embedded MovieLens data loaded and trained as ``make run`` does, once for this module;
    the model folder it trained into."""
    from django.conf import settings
    from django.test import override_settings

    from catalog.demo import load_demo
    from recommender.training import train_model_version

    folder = tmp_path_factory.mktemp("demo-models")
    with django_db_blocker.unblock(), override_settings(MODEL_DIR=folder, STORAGES={**settings.STORAGES, "models": models_storage(folder)}):
        load_demo()
        assert train_model_version().activated
    yield folder
    with django_db_blocker.unblock():
        # Empty every table, as a transactional test does: the next tests start from nothing.
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def demo_models(demo_site, settings):
    """This test serves the module's trained model (conftest gives every test an empty folder)."""
    from recommender import serving

    settings.MODEL_DIR = demo_site
    settings.STORAGES = {**settings.STORAGES, "models": models_storage(demo_site)}
    serving.forget()
    return demo_site


def title_named(name: str, year: int) -> Title:
    return Title.objects.get(name=name, year=year)


def new_user_lists(taste_names) -> dict[str, list[dict]]:
    lists = {}
    for genre in taste_names:
        user = get_user_model().objects.create_user(username=f"{genre.lower()}-fan", password="a-Str0ng-password!")
        for score, titles in TASTES[genre].items():
            for name, year in titles:
                rate_title(user=user, title=title_named(name, year), score=score)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        response = client.get("/api/v1/me/recommendations/")
        assert response.status_code == 200, response.content
        lists[genre] = response.json()
    return lists


def genres_of(title_ids) -> dict[int, set[str]]:
    return {t.pk: set(t.genres.values_list("name", flat=True)) for t in Title.objects.filter(pk__in=title_ids)}


@pytest.mark.django_db
def test_new_users_with_different_tastes_get_personal_lists_explained_by_their_own_titles(demo_models):
    lists = new_user_lists(TASTES)
    ids = {genre: [item["title"]["id"] for item in items] for genre, items in lists.items()}
    genres = genres_of({i for items in ids.values() for i in items} | {
        item["because"]["title"]["id"] for items in lists.values() for item in items if item["because"]})
    report = {genre: [(item["title"]["name"], item["because"] and item["because"]["title"]["name"]) for item in items]
              for genre, items in lists.items()}
    assert all(len(items) == 10 and all(item["personalized"] for item in items) for items in lists.values()), report

    jaccards = [len(set(ids[a]) & set(ids[b])) / len(set(ids[a]) | set(ids[b])) for a, b in itertools.combinations(ids, 2)]
    assert sum(jaccards) / len(jaccards) <= 0.10, (jaccards, report)

    for genre, title_ids in ids.items():
        in_genre = sum(genre in genres[t] for t in title_ids)
        assert in_genre >= 5, (genre, in_genre, report)

    explained = [item for items in lists.values() for item in items]
    sharing = sum(bool(item["because"]) and bool(genres[item["title"]["id"]] & genres[item["because"]["title"]["id"]])
                  for item in explained)
    assert sharing >= 0.9 * len(explained), (sharing, len(explained), report)
