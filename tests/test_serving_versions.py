"""Which version a process serves: it asks the database at most every VERSION_RECHECK_SECONDS, so a
version activated by another process (a Celery worker's retrain, staff on another web process)
serves here within that time, and one activated in this process serves at once."""
import pytest
from django.utils import timezone

from recommender import serving
from recommender.models import ModelVersion
from recommender.services import activate_version
from recommender.training import train_model_version

pytestmark = pytest.mark.django_db


def test_a_version_activated_elsewhere_serves_after_the_recheck_interval(taste_catalog, fake_clock):
    clock = fake_clock
    first = train_model_version(params={"random_state": 0}).version
    second = train_model_version(params={"random_state": 1}).version
    activate_version(first)
    assert serving.current_model().version_id == first.pk
    # Another process makes the second version serving: a plain UPDATE this process never sees.
    ModelVersion.objects.filter(pk=second.pk).update(activated_at=timezone.now())
    clock.now += serving.VERSION_RECHECK_SECONDS / 2
    assert serving.current_model().version_id == first.pk
    clock.now += serving.VERSION_RECHECK_SECONDS
    assert serving.current_model().version_id == second.pk


def test_activating_in_this_process_serves_at_once(taste_catalog, fake_clock):
    first = train_model_version(params={"random_state": 0}).version
    second = train_model_version(params={"random_state": 1}).version
    assert serving.current_model().version_id == second.pk
    activate_version(first)
    assert serving.current_model().version_id == first.pk


def test_no_serving_version_is_also_rechecked(taste_catalog, fake_clock):
    clock = fake_clock
    assert serving.current_model() is None
    version = train_model_version(params={"random_state": 0}).version
    ModelVersion.objects.filter(pk=version.pk).update(activated_at=None)
    serving.recheck_version()
    assert serving.current_model() is None
    ModelVersion.objects.filter(pk=version.pk).update(activated_at=timezone.now())
    assert serving.current_model() is None  # trusted for the interval
    clock.now += serving.VERSION_RECHECK_SECONDS + 0.1
    assert serving.current_model().version_id == version.pk
