"""The default API answer (``GET /api/v1/me/recommendations/`` without parameters) is kept as rendered
(``KeptRanking.answer``) and served to any process only while everything it was made from still
holds: the serving version, the user's ratings and dismissals, the catalog revision, the titles'
being active, and its age. Each test proves the kept body is served, or is not, by marking it."""
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Title
from catalog.summaries import INACTIVE_RECHECK_SECONDS, forget_title_summaries, inactive_title_ids
from ratings.models import Dismissal, Rating
from recommender import selectors, serving
from recommender.models import KeptRanking
from recommender.selectors import KeptAnswer, answer_key, personal_inputs

from .api_fixtures import client_for
from .conftest import MARKED_ANSWER, give_romance_taste, kept_answer_of, mark_kept_answer

URL = "/api/v1/me/recommendations/"
MARKED = MARKED_ANSWER
kept, mark = kept_answer_of, mark_kept_answer


@pytest.fixture
def personal(user, taste_catalog):
    give_romance_taste(user, taste_catalog)
    return user


def another_process() -> None:
    """Nothing of this process's memory: the model and title summaries are loaded again."""
    serving.forget()
    forget_title_summaries()


def test_the_answer_is_kept_as_served_and_the_next_request_gets_it_in_one_query(token_client, personal, fake_clock):
    first = token_client.get(URL)
    assert first.status_code == 200 and first["Content-Type"] == "application/json"
    assert len(first.json()) == 10 and all(item["personalized"] for item in first.json())
    assert kept(personal).body == first.content
    mark(personal)
    another_process()
    # Loaded once per process and re-read in time (the clock stands still here): the token's user,
    # the serving version, the hidden titles.
    token_client.get("/api/v1/me/"), serving.current_model(), inactive_title_ids()
    with CaptureQueriesContext(connection) as queries:
        again = token_client.get(URL)
    assert again.status_code == 200 and again.content == MARKED
    assert len(queries) == 1 and "recommender_keptranking" in queries[0]["sql"]


def test_the_kept_answer_is_what_the_serializer_path_renders(token_client, personal):
    default = token_client.get(URL)
    explicit = token_client.get(URL, {"n": 10})  # parameters: never the kept answer
    assert default.content == explicit.content == kept(personal).body
    assert default["Allow"] == explicit["Allow"] and default["Vary"] == explicit["Vary"]


def test_answer_records_the_titles_it_recommends(token_client, personal):
    items = token_client.get(URL).json()
    answer = kept(personal)
    assert answer.title_ids == tuple(sorted(item["title"]["id"] for item in items))
    assert answer.key == answer_key(serving.current_model().version_id, personal_inputs(personal))


def test_a_hidden_title_explaining_a_pick_does_not_stop_the_answer_being_served(token_client, personal):
    items = token_client.get(URL).json()
    explaining = {item["because"]["title"]["id"] for item in items if item["because"]}
    assert explaining
    Title.objects.filter(pk__in=explaining).update(is_active=False)
    forget_title_summaries()
    remade = token_client.get(URL)
    assert {item["because"]["title"]["id"] for item in remade.json() if item["because"]} == explaining  # shown as before
    mark(personal)
    assert token_client.get(URL).content == MARKED


def test_bytes_that_are_not_an_answer_are_made_again(token_client, personal):
    first = token_client.get(URL).content
    KeptRanking.objects.filter(user=personal).update(answer=b"not an answer")
    again = token_client.get(URL)
    assert again.status_code == 200 and again.content == first == kept(personal).body


def test_an_answer_of_another_format_is_not_served(token_client, personal, monkeypatch):
    token_client.get(URL)
    mark(personal)
    monkeypatch.setattr(selectors, "ANSWER_FORMAT", selectors.ANSWER_FORMAT + 1)  # as after a deploy
    assert token_client.get(URL).content != MARKED


def test_a_new_rating_makes_the_answer_again(token_client, personal):
    first = token_client.get(URL).json()
    mark(personal)
    Rating.objects.create(user=personal, title_id=first[0]["title"]["id"], score=4.5)
    second = token_client.get(URL)
    assert second.content != MARKED and first[0]["title"]["id"] not in [item["title"]["id"] for item in second.json()]
    assert kept(personal).body == second.content


def test_a_dismissal_makes_the_answer_again(token_client, personal):
    first = token_client.get(URL).json()
    mark(personal)
    Dismissal.objects.create(user=personal, title_id=first[0]["title"]["id"])
    second = token_client.get(URL)
    assert second.content != MARKED and [item["title"]["id"] for item in second.json()][:5] == [item["title"]["id"] for item in first[1:6]]


def test_a_catalog_change_anywhere_makes_the_answer_again(token_client, personal, django_capture_on_commit_callbacks):
    first = token_client.get(URL).json()
    mark(personal)
    with django_capture_on_commit_callbacks(execute=True):  # the revision moves once the edit commits
        title = Title.objects.get(pk=first[0]["title"]["id"])
        title.name = "Renamed by an editor"
        title.save()
    second = token_client.get(URL)
    assert second.content != MARKED and second.json()[0]["title"]["name"] == "Renamed by an editor"


def test_an_answer_from_a_process_behind_on_the_catalog_is_not_served(token_client, personal):
    token_client.get(URL)
    mark(personal, catalog_revision=kept(personal).catalog_revision - 1)
    assert token_client.get(URL).content != MARKED


def test_a_title_hidden_without_a_revision_leaves_the_answer(token_client, personal, fake_clock):
    first = token_client.get(URL).json()
    mark(personal)
    Title.objects.filter(pk=first[0]["title"]["id"]).update(is_active=False)  # a bulk UPDATE: no revision
    assert token_client.get(URL).content == MARKED  # until this process re-reads the inactive titles
    fake_clock.now += INACTIVE_RECHECK_SECONDS
    second = token_client.get(URL)
    assert second.content != MARKED and first[0]["title"]["id"] not in [item["title"]["id"] for item in second.json()]


def test_an_old_answer_is_made_again(token_client, personal):
    token_client.get(URL)
    mark(personal, made_at=time.time() - selectors.KEPT_ANSWER_SECONDS - 1)
    assert token_client.get(URL).content != MARKED
    mark(personal, made_at=time.time() + 60)  # a clock that went back: not trusted either
    assert token_client.get(URL).content != MARKED


def test_a_new_serving_version_makes_the_answer_again(token_client, personal):
    from recommender.services import activate_version
    from recommender.training import train_model_version

    token_client.get(URL)
    mark(personal)
    activate_version(train_model_version().version)
    assert token_client.get(URL).content != MARKED


def test_other_renderings_are_made_each_time(token_client, personal):
    token_client.get(URL)
    mark(personal)
    indented = token_client.get(URL, HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200 and indented.content != MARKED and b"\n" in indented.content
    assert token_client.get(URL, HTTP_ACCEPT="text/html").content != MARKED


def test_popular_answers_are_not_kept(token_client, user, taste_catalog):
    Rating.objects.create(user=user, title=taste_catalog["romance"][0], score=5.0)
    items = token_client.get(URL).json()
    assert items and not any(item["personalized"] for item in items)
    assert not KeptRanking.objects.exists()


def test_each_user_is_served_their_own_answer(token_client, personal, other_user, taste_catalog):
    for title in taste_catalog["action"][:3]:
        Rating.objects.create(user=other_user, title=title, score=5.0)
    for title in taste_catalog["romance"][:3]:
        Rating.objects.create(user=other_user, title=title, score=0.5)
    token_client.get(URL)
    mark(personal)
    theirs = client_for(other_user).get(URL)
    assert theirs.status_code == 200 and theirs.content != MARKED
    assert {item["because"]["title"]["genres"][0] for item in theirs.json() if item["because"]} == {"Action"}
    assert token_client.get(URL).content == MARKED


def test_the_packed_answer_round_trips():
    answer = KeptAnswer(b"k" * 16, 12, 1_800_000_000.5, (3, 9, 11), b'[{"title": "\xc3\xa9"}]')
    assert KeptAnswer.unpack(answer.pack()) == answer
    assert KeptAnswer.unpack(KeptAnswer(b"\0" * 16, 0, 0.0, (), b"[]").pack()).body == b"[]"
