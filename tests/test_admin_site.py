"""Admin beyond the catalog: read-mostly ratings, model versions with retrain and rollback, Celery
schedules and task results; and that all of it is for staff only."""
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_results.models import TaskResult

from ratings.models import Dismissal, Rating, WatchlistEntry
from recommender.models import ModelVersion
from recommender.selectors import serving_version

from .api_fixtures import *  # noqa: F401,F403
from .conftest import make_user

User = get_user_model()


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", "root-Pass-123")


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


ADMIN_PAGES = [
    "/admin/", "/admin/catalog/title/", "/admin/catalog/importrun/", "/admin/catalog/importrun/upload/",
    "/admin/ratings/rating/", "/admin/ratings/watchlistentry/", "/admin/ratings/dismissal/",
    "/admin/recommender/modelversion/", "/admin/django_celery_beat/periodictask/",
    "/admin/django_celery_beat/crontabschedule/", "/admin/django_celery_results/taskresult/",
]


# Staff only


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_for_staff(staff_client, rated_catalog, path):
    assert staff_client.get(path).status_code == 200


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_refuses_anonymous_visitors(client, db, path):
    response = client.get(path)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_refuses_signed_in_non_staff(client, user, path):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_non_staff_cannot_run_actions(client, user, rated_catalog):
    client.force_login(user)
    client.post("/admin/catalog/title/", {"action": "deactivate_titles", ACTION_CHECKBOX_NAME: [rated_catalog["heat"].pk]})
    assert rated_catalog["heat"].__class__.objects.get(pk=rated_catalog["heat"].pk).is_active


def test_staff_without_permissions_sees_nothing(client, rated_catalog):
    clerk = make_user("clerk")
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    assert client.get("/admin/ratings/rating/").status_code == 403
    assert client.get("/admin/catalog/title/").status_code == 403


def test_view_only_staff_cannot_deactivate_titles(client, rated_catalog):
    viewer = make_user("viewer")
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_title"))
    client.force_login(viewer)
    page = client.get("/admin/catalog/title/")
    assert page.status_code == 200 and b"deactivate_titles" not in page.content
    client.post("/admin/catalog/title/", {"action": "deactivate_titles", ACTION_CHECKBOX_NAME: [rated_catalog["heat"].pk]})
    assert rated_catalog["heat"].__class__.objects.get(pk=rated_catalog["heat"].pk).is_active


# Ratings: read-mostly


def test_ratings_cannot_be_added_or_edited(staff_client, rated_catalog):
    rating = Rating.objects.first()
    assert staff_client.get("/admin/ratings/rating/add/").status_code == 403
    staff_client.post(f"/admin/ratings/rating/{rating.pk}/change/", {"score": 0.5})
    assert Rating.objects.get(pk=rating.pk).score == rating.score
    page = staff_client.get(f"/admin/ratings/rating/{rating.pk}/change/")
    assert page.status_code == 200 and b'name="score"' not in page.content


@pytest.mark.parametrize(
    "params,expected",
    [
        (lambda c: {"score": "4.5"}, 1),
        (lambda c: {"title__id__exact": c["heat"].pk}, 3),
        (lambda c: {"user__id__exact": User.objects.get(username="rater0").pk}, 3),
        (lambda c: {"q": "rater1"}, 2),
        (lambda c: {"updated_at__gte": timezone.now().date().isoformat()}, 6),
    ],
)
def test_ratings_filter_by_user_title_score_and_date(staff_client, rated_catalog, params, expected):
    response = staff_client.get("/admin/ratings/rating/", params(rated_catalog))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == expected


def test_superusers_can_delete_a_rating(staff_client, rated_catalog):
    rating = Rating.objects.first()
    staff_client.post(f"/admin/ratings/rating/{rating.pk}/delete/", {"post": "yes"})
    assert not Rating.objects.filter(pk=rating.pk).exists()


def test_watchlist_and_dismissals_are_listed(staff_client, rated_catalog, user):
    WatchlistEntry.objects.create(user=user, title=rated_catalog["heat"])
    Dismissal.objects.create(user=user, title=rated_catalog["clue"])
    assert b"Heat" in staff_client.get("/admin/ratings/watchlistentry/").content
    assert b"Clue" in staff_client.get("/admin/ratings/dismissal/").content


# Model versions


def ready_version(**kwargs):
    return ModelVersion.objects.create(algorithm="svd", status=ModelVersion.Status.READY, rmse=0.9, mae=0.7, metrics={"ndcg": 0.31}, **kwargs)


def test_model_versions_show_metrics_and_the_serving_one(staff_client, db):
    old = ready_version(activated_at=timezone.now() - timezone.timedelta(days=1))
    new = ready_version(activated_at=timezone.now())
    html = staff_client.get("/admin/recommender/modelversion/").content.decode()
    assert "0.3100" in html and "0.9" in html and str(new) in html and str(old) in html


def test_make_serving_rolls_back(staff_client, db):
    old = ready_version(activated_at=timezone.now() - timezone.timedelta(days=1))
    ready_version(activated_at=timezone.now())
    response = staff_client.post(
        "/admin/recommender/modelversion/", {"action": "make_serving", ACTION_CHECKBOX_NAME: [old.pk]}, follow=True
    )
    assert "now serves" in response.content.decode()
    assert serving_version().pk == old.pk


def test_make_serving_refuses_a_failed_version_and_several(staff_client, db):
    serving = ready_version(activated_at=timezone.now())
    failed = ModelVersion.objects.create(algorithm="svd", status=ModelVersion.Status.FAILED, error="boom")
    response = staff_client.post("/admin/recommender/modelversion/", {"action": "make_serving", ACTION_CHECKBOX_NAME: [failed.pk]}, follow=True)
    assert "only a ready version can serve" in " ".join(str(m) for m in response.context["messages"])
    other = ready_version()
    response = staff_client.post(
        "/admin/recommender/modelversion/", {"action": "make_serving", ACTION_CHECKBOX_NAME: [serving.pk, other.pk]}, follow=True
    )
    assert "exactly one" in response.content.decode()
    assert serving_version().pk == serving.pk


def test_retrain_now_trains_a_new_version(staff_client, taste_catalog):
    previous = ModelVersion.objects.create(algorithm="svd", status=ModelVersion.Status.FAILED, error="boom")
    response = staff_client.post(
        "/admin/recommender/modelversion/", {"action": "retrain_now", ACTION_CHECKBOX_NAME: [previous.pk]}, follow=True
    )
    assert "Retraining queued" in " ".join(str(m) for m in response.context["messages"])
    new = ModelVersion.objects.exclude(pk=previous.pk).get()  # tasks run in-process in tests
    assert new.status == ModelVersion.Status.READY and serving_version().pk == new.pk


def test_model_versions_cannot_be_edited(staff_client, db):
    version = ready_version()
    assert staff_client.get("/admin/recommender/modelversion/add/").status_code == 403
    staff_client.post(f"/admin/recommender/modelversion/{version.pk}/change/", {"rmse": 0.1})
    assert ModelVersion.objects.get(pk=version.pk).rmse == 0.9


# Celery schedules and results


def test_periodic_schedules_are_editable(staff_client, db):
    crontab = CrontabSchedule.objects.create(minute="30", hour="3")
    task = PeriodicTask.objects.create(name="retrain-nightly", task="recommender.tasks.retrain", crontab=crontab)
    page = staff_client.get(f"/admin/django_celery_beat/periodictask/{task.pk}/change/")
    assert page.status_code == 200 and b'name="enabled"' in page.content
    staff_client.post(
        "/admin/django_celery_beat/periodictask/", {"action": "disable_tasks", ACTION_CHECKBOX_NAME: [task.pk]}, follow=True
    )
    assert not PeriodicTask.objects.get(pk=task.pk).enabled


def test_task_results_are_visible(staff_client, db):
    TaskResult.objects.create(task_id="abc-123", task_name="recommender.tasks.retrain", status="SUCCESS", result='{"version": 1}')
    html = staff_client.get("/admin/django_celery_results/taskresult/").content.decode()
    assert "abc-123" in html and "recommender.tasks.retrain" in html


def test_results_backend_is_the_database(settings):
    assert settings.CELERY_RESULT_BACKEND == "django-db"
