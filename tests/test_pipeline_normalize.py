"""Pure helpers of the pipeline: match keys, MovieLens titles, dates, durations, Python literals."""
from datetime import date

import pytest

from catalog.pipeline.base import RowError
from catalog.pipeline.normalize import (
    natural_title, parse_long_date, parse_minutes, parse_seasons, split_list, split_movielens_title, title_key, title_keys,
)
from catalog.pipeline.tmdb import literal, tmdb_id


@pytest.mark.parametrize(
    "a, b",
    [("Matrix, The", "The Matrix"), ("Misérables, Les", "Les Misérables"), ("Blood & Water", "blood and water"),
     ("  Consequences ", "Consequences"), ("Love In A Puff", "Love in a Puff")],
)
def test_title_key_equates_spellings(a, b):
    assert title_key(a) == title_key(b)


def test_title_key_keeps_distinct_titles_apart():
    assert title_key("Matrix") != title_key("The Matrix")
    assert title_key("進撃の巨人") != ""


def test_movielens_title_year_and_alternative_title():
    assert split_movielens_title("Toy Story (1995)") == ("Toy Story", 1995)
    assert split_movielens_title("Untitled") == ("Untitled", None)
    name, year = split_movielens_title("City of Lost Children, The (Cité des enfants perdus, La) (1995)")
    assert (name, year) == ("The City of Lost Children (Cité des enfants perdus, La)", 1995)
    assert "the city of lost children" in title_keys(name)
    assert "la cite des enfants perdus" in title_keys(name)
    assert title_keys("Marvel Rising: Initiation (Shorts)") == ["marvel rising initiation shorts", "marvel rising initiation"]


@pytest.mark.parametrize("stored, shown", [
    ("Matrix, The", "The Matrix"),
    ("Misérables, Les", "Les Misérables"),
    ("Avventura, L'", "L'Avventura"),
    ("Lord of the Rings: The Two Towers, The", "The Lord of the Rings: The Two Towers"),
    ("Usual Suspects, The  (1995 cut)", "The Usual Suspects (1995 cut)"),
    ("Toy Story", "Toy Story"),
    ("Crouching Tiger, Hidden Dragon", "Crouching Tiger, Hidden Dragon"),
])
def test_natural_title_moves_the_trailing_article_to_the_front(stored, shown):
    assert natural_title(stored) == shown
    assert set(title_keys(stored)) & set(title_keys(shown))  # still the same work to the matcher


def test_long_dates_with_stray_spaces():
    assert parse_long_date(" August 4, 2017") == date(2017, 8, 4)
    assert parse_long_date("") is None
    with pytest.raises(ValueError):
        parse_long_date("25-Sep-21")


def test_durations():
    assert parse_minutes("90 min") == 90 and parse_seasons("90 min") is None
    assert parse_seasons("1 Season") == 1 and parse_seasons("9 Seasons") == 9


def test_split_list_trims_dedupes_and_drops_blanks():
    assert split_list("United States, India,, United States,") == ("United States", "India")


def test_python_literals_with_embedded_quotes_are_parsed_safely():
    value = literal("[{'name': 'Zespól Filmowy \"X\"', 'id': 7475}, {'name': \"Children's Film Foundation\", 'id': 7}]", "c", list)
    assert [v["name"] for v in value] == ['Zespól Filmowy "X"', "Children's Film Foundation"]
    assert literal("", "c", list) == [] and literal("None", "c", dict) == {}
    with pytest.raises(RowError, match="not a Python literal"):
        literal("__import__('os').system('true')", "c", list)
    with pytest.raises(RowError, match="expected a dict"):
        literal("[1]", "c", dict)


def test_tmdb_id_rejects_dates_with_a_hint():
    assert tmdb_id("862") == 862
    with pytest.raises(RowError, match="looks like a date"):
        tmdb_id("1997-08-20")
