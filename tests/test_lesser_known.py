"""'Lesser-known' done right: a band outside the most-rated fifth that people may still have seen,
used by the "Help us know you" onboarding and a home row."""
from django.contrib.auth.models import User
from django.db.models import Count
from django.test import Client

from catalog.discovery import onboarding_titles
from catalog.models import Genre, Title
from catalog.selectors import LESSER_KNOWN_FLOOR, TitleFilters, lesser_known_band, title_ids_matching
from ratings.models import Rating
from recommender.pages import home_rows
from tests.test_novelty_dial import long_tail_catalog  # noqa: F401 (a fixture)


def counts() -> dict[int, int]:
    return dict(Title.objects.annotate(n=Count("ratings")).values_list("pk", "n"))


def test_the_band_starts_below_the_most_rated_fifth_and_lowers_its_floor_on_a_sparse_catalog(long_tail_catalog):  # noqa: F811
    by_title = counts()
    ranked = sorted((n for n in by_title.values() if n > 0), reverse=True)
    head = -(-len(ranked) // 5)  # the most-rated fifth, rounded up
    fewest, most = lesser_known_band()
    assert most == ranked[head]
    # Fewer than 400 titles have 20 ratings or more outside the head here: the floor drops to
    # the fewest ratings of the band's titles, never below LESSER_KNOWN_FLOOR.
    assert fewest == max(LESSER_KNOWN_FLOOR, min(20, ranked[-1]))
    band = set(title_ids_matching(TitleFilters(lesser_known=True)).tolist())
    assert band == {pk for pk, n in by_title.items() if fewest <= n <= most}
    # The blockbuster is out, the least-rated title that clears the floor is in.
    assert max(by_title, key=by_title.get) not in band
    assert min((pk for pk, n in by_title.items() if n >= fewest), key=by_title.get) in band


def test_an_empty_catalog_has_an_empty_band(db):
    assert lesser_known_band() == (1, 0)
    assert title_ids_matching(TitleFilters(lesser_known=True)).tolist() == []


def test_a_dense_catalog_keeps_the_floor_at_twenty_ratings(db):
    genre = Genre.objects.create(name="Drama")
    raters = [User.objects.create(username=f"r{i}") for i in range(60)]
    ratings = []
    for index in range(10):  # 2 head titles rated 60 times, 8 with 60 - 4 x index ratings
        title = Title.objects.create(name=f"T{index}", year=2000 + index)
        title.genres.add(genre)
        ratings += [Rating(user=u, title=title, score=4.0) for u in raters[: 60 - 4 * index]]
    Rating.objects.bulk_create(ratings)
    fewest, most = lesser_known_band()
    assert (fewest, most) == (20, 52)
    assert sorted(counts()[pk] for pk in title_ids_matching(TitleFilters(lesser_known=True))) == [24, 28, 32, 36, 40, 44, 48, 52]


def test_help_us_know_you_offers_only_lesser_known_titles(long_tail_catalog, user):  # noqa: F811
    fewest, most = lesser_known_band()
    offered = onboarding_titles(user, n=12, lesser_known=True)
    assert offered and all(fewest <= counts()[t.pk] <= most for t in offered)
    page = Client()
    page.force_login(user)
    html = page.get("/recommendations/know-you/").content.decode()
    assert offered[0].name in html


def test_the_home_page_has_a_lesser_known_row_personal_and_anonymous(long_tail_catalog, user):  # noqa: F811
    fewest, most = lesser_known_band()
    band = {t.pk for t in Title.objects.all() if fewest <= counts()[t.pk] <= most}
    anonymous = Client().get("/")
    assert "Lesser-known gems" in anonymous.content.decode()
    for title in long_tail_catalog[:6]:
        Rating.objects.create(user=user, title=title, score=4.5)
    # Rows of 3, so that the earlier rows leave lesser-known titles of this small catalog unshown.
    rows, personal = home_rows(user, per_row=3)
    assert personal
    row = next(r for r in rows if r.key == "lesser-known")
    assert row.heading == "Lesser-known gems for you"
    assert row.cards and {card.title.pk for card in row.cards} <= band
    assert all(card.personalized for card in row.cards)


def test_for_you_keeps_to_the_band_when_asked_and_the_home_row_links_there(long_tail_catalog, user):  # noqa: F811
    fewest, most = lesser_known_band()
    for title in long_tail_catalog[:6]:
        Rating.objects.create(user=user, title=title, score=4.5)
    page = Client()
    page.force_login(user)
    response = page.get("/recommendations/", {"lesser_known": "1"})
    listed = [r.title.pk for r in response.context["recommendations"]]
    assert listed and all(fewest <= counts()[pk] <= most for pk in listed)
    assert 'name="lesser_known" value="1" checked' in response.content.decode()
    everything = [r.title.pk for r in page.get("/recommendations/").context["recommendations"]]
    assert any(counts()[pk] > most for pk in everything)
    rows, _ = home_rows(user, per_row=3)
    assert next(r for r in rows if r.key == "lesser-known").link == "/recommendations/?lesser_known=1"
