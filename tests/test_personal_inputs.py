"""``personal_inputs``: a user's ratings, dismissals, kept ranking and answer and the catalog revision,
read in one query; on PostgreSQL packed by the database, elsewhere by the portable union."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratings.models import Dismissal, Rating
from recommender import selectors
from recommender.models import KeptRanking
from streamrec.models import Revision


@pytest.fixture
def rated(user, taste_catalog):
    romance, action = taste_catalog["romance"], taste_catalog["action"]
    for title, score in [(romance[4], 4.5), (action[2], 0.5), (romance[0], 5.0), (action[7], 3.0)]:
        Rating.objects.create(user=user, title=title, score=score)
    for title in (action[9], romance[8]):
        Dismissal.objects.create(user=user, title=title)
    return user


def expected_scores(user) -> dict[int, float]:
    return dict(Rating.objects.filter(user=user).order_by("title_id").values_list("title_id", "score"))


def test_ratings_and_dismissals_are_read_in_title_order_in_one_query(rated, other_user, taste_catalog):
    Rating.objects.create(user=other_user, title=taste_catalog["action"][0], score=2.0)  # not theirs
    with CaptureQueriesContext(connection) as queries:
        inputs = selectors.personal_inputs(rated)
    assert len(queries) == 1
    assert inputs.scores == expected_scores(rated) and list(inputs.scores) == sorted(inputs.scores)
    assert inputs.rating_count == 4
    assert inputs.dismissed == set(Dismissal.objects.filter(user=rated).values_list("title_id", flat=True))
    assert inputs.kept is None and inputs.answer is None


def test_the_kept_row_and_the_catalog_revision_come_with_them(rated):
    Revision.objects.create(name="catalog", number=41)
    KeptRanking.objects.create(user=rated, ranking=b"ranked", answer=b"answered")
    inputs = selectors.personal_inputs(rated)
    assert (inputs.kept, inputs.answer, inputs.catalog_revision) == (b"ranked", b"answered", 41)
    KeptRanking.objects.filter(user=rated).update(answer=b"")
    assert selectors.personal_inputs(rated).answer is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the packed read is PostgreSQL's")
def test_the_database_packs_exactly_what_the_portable_read_packs(rated):
    Revision.objects.create(name="catalog", number=3)
    KeptRanking.objects.create(user=rated, ranking=b"ranked", answer=b"answered")
    assert selectors._personal_inputs_packed_by_postgresql(rated) == selectors._personal_inputs_portable(rated)
    Rating.objects.filter(user=rated).delete()
    Dismissal.objects.filter(user=rated).delete()
    KeptRanking.objects.filter(user=rated).delete()
    assert selectors._personal_inputs_packed_by_postgresql(rated) == selectors._personal_inputs_portable(rated) == selectors.PersonalInputs()


def test_the_fingerprint_changes_with_any_score_and_not_otherwise(rated, taste_catalog):
    before = selectors.personal_inputs(rated).fingerprint
    assert selectors.personal_inputs(rated).fingerprint == before
    Dismissal.objects.create(user=rated, title=taste_catalog["action"][11])
    assert selectors.personal_inputs(rated).fingerprint == before  # dismissals are keyed apart
    Rating.objects.filter(user=rated, title=taste_catalog["action"][7]).update(score=3.5)
    changed = selectors.personal_inputs(rated).fingerprint
    assert changed != before
    Rating.objects.filter(user=rated, title=taste_catalog["action"][7]).update(score=3.0)
    assert selectors.personal_inputs(rated).fingerprint == before
