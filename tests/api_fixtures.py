"""Fixtures shared by the API and admin tests: a small catalog with people, platforms and dates."""
import datetime

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Availability, Credit, Genre, Person, Platform, Title, TitleDetails
from ratings.models import Rating

from .conftest import make_user


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def bob_client(other_user):
    return client_for(other_user)


@pytest.fixture
def catalog(db):
    """Five titles: three movies and two series, two platforms, a director and an actor, TMDB details.

    Returns a dict of the objects by short name.
    """
    comedy, drama = Genre.objects.create(name="Comedy"), Genre.objects.create(name="Drama")
    netflix = Platform.objects.create(slug="netflix", name="Netflix")
    disney = Platform.objects.create(slug="disney-plus", name="Disney+")
    objs = {"comedy": comedy, "drama": drama, "netflix": netflix, "disney": disney}
    specs = [
        ("heat", "Heat", 1995, Title.Kind.MOVIE, [drama], datetime.date(1995, 12, 15)),  # a Friday
        ("clue", "Clue", 1985, Title.Kind.MOVIE, [comedy], datetime.date(1985, 12, 13)),  # a Friday
        ("up", "Up", 2009, Title.Kind.MOVIE, [comedy, drama], datetime.date(2009, 5, 29)),  # a Friday
        ("office", "The Office", 2005, Title.Kind.SERIES, [comedy], datetime.date(2005, 3, 24)),  # a Thursday
        ("wire", "The Wire", 2002, Title.Kind.SERIES, [drama], None),
    ]
    for key, name, year, kind, genres, released in specs:
        title = Title.objects.create(name=name, year=year, kind=kind)
        title.genres.set(genres)
        if released:
            TitleDetails.objects.create(title=title, release_date=released, vote_average=7.0 + len(name) / 10, vote_count=100 * len(name))
        objs[key] = title
    Availability.objects.create(title=objs["office"], platform=netflix, platform_item_id="s1", date_added=datetime.date(2021, 1, 4))  # Monday
    Availability.objects.create(title=objs["heat"], platform=netflix, platform_item_id="s2", date_added=datetime.date(2021, 2, 5))
    Availability.objects.create(title=objs["up"], platform=disney, platform_item_id="d1", date_added=datetime.date(2019, 11, 12))
    mann = Person.objects.create(name="Michael Mann", tmdb_id=638)
    pacino = Person.objects.create(name="Al Pacino")
    Credit.objects.create(title=objs["heat"], person=mann, role=Credit.Role.DIRECTOR)
    Credit.objects.create(title=objs["heat"], person=pacino, role=Credit.Role.ACTOR, order=0, character="Vincent Hanna")
    Credit.objects.create(title=objs["clue"], person=pacino, role=Credit.Role.ACTOR, order=3)
    objs.update(mann=mann, pacino=pacino)
    return objs


@pytest.fixture
def rated_catalog(catalog):
    """The catalog with ratings by three raters: Heat 5, 4, 4.5; Clue 2; Up 3.5, 4."""
    raters = [make_user(f"rater{i}") for i in range(3)]
    for rater, score in zip(raters, [5.0, 4.0, 4.5]):
        Rating.objects.create(user=rater, title=catalog["heat"], score=score)
    Rating.objects.create(user=raters[0], title=catalog["clue"], score=2.0)
    Rating.objects.create(user=raters[0], title=catalog["up"], score=3.5)
    Rating.objects.create(user=raters[1], title=catalog["up"], score=4.0)
    return catalog
