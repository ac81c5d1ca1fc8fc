"""Fixtures shared by the page tests (tests/test_pages_*.py): the taste catalog of conftest, enriched with
people, platforms and release dates the way the content pipeline fills them in."""
import datetime

import pytest

from catalog.models import Availability, Credit, Person, Platform, Title, TitleDetails

from .conftest import build_taste_catalog


def enrich(groups: dict[str, list[Title]]) -> dict:
    director = Person.objects.create(name="Ann Director")
    star = Person.objects.create(name="Rob Romance")
    netflix = Platform.objects.create(slug="netflix", name="Netflix")
    disney = Platform.objects.create(slug="disney-plus", name="Disney+")
    for index, title in enumerate(groups["action"]):
        Credit.objects.create(title=title, person=director, role=Credit.Role.DIRECTOR)
        Availability.objects.create(title=title, platform=netflix, platform_item_id=f"s{index}", date_added=datetime.date(2021, 1 + index % 12, 1 + index))
        TitleDetails.objects.create(title=title, release_date=datetime.date(title.year, 1 + index % 12, 10), tagline="Boom.")
    for index, title in enumerate(groups["romance"]):
        Credit.objects.create(title=title, person=star, role=Credit.Role.ACTOR, character="Lover")
        if index % 3 == 0 or index == len(groups["romance"]) - 1:
            Availability.objects.create(title=title, platform=disney, platform_item_id=f"d{index}", date_added=datetime.date(2020, 5, 1 + index))
    series = groups["romance"][-1]
    series.kind, series.seasons = Title.Kind.SERIES, 2
    series.save()
    return {"director": director, "star": star, "netflix": netflix, "disney": disney, "series": series, **groups}


@pytest.fixture
def catalog(db):
    """The taste catalog (15 Action and 15 Romance titles rated by 40 users) with people and platforms."""
    return enrich(build_taste_catalog())


@pytest.fixture
def trained(catalog):
    from recommender.training import train_model_version

    train_model_version()
    return catalog


def rate_action_fan(user, catalog, n_action: int = 4, n_romance: int = 2):
    """Make ``user`` love Action and dislike Romance."""
    from ratings.models import Rating

    for title in catalog["action"][:n_action]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in catalog["romance"][:n_romance]:
        Rating.objects.create(user=user, title=title, score=1.0)
