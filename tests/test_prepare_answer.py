"""When a user's ratings or dismissals change, a worker makes their next recommendations answer ahead
(``recommender.tasks.prepare_answer``), so the request that follows is served the kept one. Best
effort: with no worker or no broker nothing is sent and the request makes the answer itself."""
import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ratings import services as ratings_services
from ratings.models import Dismissal, Rating
from ratings.signals import ratings_changed
from recommender import serving
from recommender import services as recommender_services
from recommender.models import KeptRanking
from recommender.selectors import kept_answer, personal_inputs
from recommender.tasks import prepare_answer
from streamrec.celery import app as celery_app
from streamrec.models import QueuedTask

from .conftest import MARKED_ANSWER, give_romance_taste, mark_kept_answer
from .processes import wait_for

URL = "/api/v1/me/recommendations/"


@pytest.fixture
def changes_sent():
    """The users ``ratings_changed`` was sent for, in order."""
    sent = []

    def record(sender, user, **kwargs):
        sent.append(user.pk)

    ratings_changed.connect(record)
    yield sent
    ratings_changed.disconnect(record)


def current_answer(user) -> bytes | None:
    model = serving.current_model()
    return kept_answer(model, personal_inputs(user)) if model is not None else None


def test_every_change_of_ratings_or_dismissals_is_announced_once(user, taste_catalog, changes_sent):
    title, other = taste_catalog["romance"][0], taste_catalog["romance"][1]
    ratings_services.rate_title(user=user, title=title, score=4.0)
    ratings_services.rate_title(user=user, title=title, score=3.5)
    assert ratings_services.remove_rating(user=user, title=title)
    assert not ratings_services.remove_rating(user=user, title=title)  # nothing removed: nothing said
    assert changes_sent == [user.pk] * 3
    assert ratings_services.dismiss_title(user=user, title=other)
    assert not ratings_services.dismiss_title(user=user, title=other)
    assert ratings_services.undo_dismissal(user=user, title=other)
    assert changes_sent == [user.pk] * 5
    ratings_services.sync_ratings(user=user, changes=[ratings_services.SyncChange(title_id=title.pk, score=2.0)])
    ratings_services.sync_ratings(user=user, changes=[ratings_services.SyncChange(title_id=title.pk, score=2.0)])  # unchanged
    assert changes_sent == [user.pk] * 6
    ratings_services.import_ratings_csv(user, f"title_id,rating\n{other.pk},4.5\n")
    assert changes_sent == [user.pk] * 7


def test_the_task_makes_the_answer_the_next_request_is_served(user, taste_catalog, token_client):
    give_romance_taste(user, taste_catalog)
    assert current_answer(user) is None
    prepare_answer.apply(args=[user.pk]).get()
    assert current_answer(user) is not None
    mark_kept_answer(user)
    assert token_client.get(URL).content == MARKED_ANSWER


def test_the_task_for_a_user_gone_or_deactivated_does_nothing(user, taste_catalog):
    give_romance_taste(user, taste_catalog)
    user.is_active = False
    user.save()
    prepare_answer.apply(args=[user.pk]).get()
    prepare_answer.apply(args=[10**9]).get()
    assert not KeptRanking.objects.exists()


def test_without_a_worker_the_rating_request_makes_nothing_ahead(user, taste_catalog, token_client):
    give_romance_taste(user, taste_catalog)
    assert celery_app.conf.task_always_eager  # no broker configured: tasks would run in this request
    response = token_client.post("/api/v1/me/ratings/", {"title": taste_catalog["romance"][5].pk, "score": 4.0}, format="json")
    assert response.status_code == 201 and not KeptRanking.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_with_a_worker_a_rating_makes_the_next_answer_ahead(sending_to_broker, start_worker, user, taste_catalog):
    give_romance_taste(user, taste_catalog)
    start_worker(sending_to_broker.url, queue=celery_app.conf.task_default_queue)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    first = api.get(URL).json()
    top = first[0]["title"]["id"]

    response = api.post("/api/v1/me/ratings/", {"title": top, "score": 4.5}, format="json")
    assert response.status_code == 201
    made = wait_for(lambda: current_answer(user), 60, "the worker to make the answer for the new rating")
    assert top not in [item["title"]["id"] for item in json.loads(made)]
    mark_kept_answer(user)
    assert api.get(URL).content == MARKED_ANSWER  # the next request is served what the worker made

    assert api.post("/api/v1/me/not-interested/", {"title": json.loads(made)[0]["title"]["id"]}, format="json").status_code == 201
    hidden = Dismissal.objects.get(user=user).title_id
    made = wait_for(lambda: current_answer(user), 60, "the worker to make the answer for the dismissal")
    assert hidden not in [item["title"]["id"] for item in json.loads(made)]
    mark_kept_answer(user)
    assert api.get(URL).content == MARKED_ANSWER


@pytest.fixture
def sends(monkeypatch) -> list[list]:
    """The arguments of every attempt to send ``prepare_answer`` (each still really sent)."""
    attempts = []
    send = recommender_services.send

    def counted(name, args, kwargs, **options):
        attempts.append(args)
        return send(name, args, kwargs, **options)

    monkeypatch.setattr(recommender_services, "send", counted)
    return attempts


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_ratings_are_saved_and_nothing_waits_in_the_outbox(sending_to_broker, user, taste_catalog, token_client, sends):
    give_romance_taste(user, taste_catalog)
    sending_to_broker.stop()
    response = token_client.post("/api/v1/me/ratings/", {"title": taste_catalog["romance"][5].pk, "score": 4.0}, format="json")
    assert response.status_code == 201 and sends == [[user.pk]]
    assert Rating.objects.filter(user=user, title=taste_catalog["romance"][5]).exists()
    assert not QueuedTask.objects.exists()  # a cache made ahead is not worth keeping for later
    assert token_client.get(URL).status_code == 200 and current_answer(user) is not None  # made by the request


@pytest.mark.django_db(transaction=True)
def test_after_a_failed_send_none_is_tried_for_a_while(sending_to_broker, user, taste_catalog, token_client, sends, fake_clock):
    rate = lambda title, score: token_client.post("/api/v1/me/ratings/", {"title": title.pk, "score": score}, format="json")  # noqa: E731
    romance = taste_catalog["romance"]
    assert rate(romance[0], 4.0).status_code == 201 and len(sends) == 1  # sent
    sending_to_broker.stop()
    assert rate(romance[1], 4.0).status_code == 201 and len(sends) == 2  # failed: a hung broker could take seconds
    fake_clock.now += recommender_services.BROKER_RETRY_SECONDS - 1
    assert rate(romance[2], 4.0).status_code == 201 and len(sends) == 2  # not tried
    sending_to_broker.start()
    fake_clock.now += 1
    assert rate(romance[3], 4.0).status_code == 201 and len(sends) == 3
    assert Rating.objects.filter(user=user).count() == 4
