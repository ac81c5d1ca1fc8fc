import statistics

import pytest
from django.conf import settings
from django.core.management import call_command
from surprise import AlgoBase

from ratings.models import Rating
from recommender import algorithms, serving
from recommender.models import ModelVersion
from recommender.selectors import serving_version
from recommender.services import activate_version
from recommender.training import NotEnoughRatings, train_model_version
from .conftest import recommendations_for


class ExplodingAlgorithm(AlgoBase):
    def fit(self, trainset):
        raise RuntimeError("out of memory")


def rate_like_an_action_fan(user, catalog):
    for title in catalog["action"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in catalog["romance"][:3]:
        Rating.objects.create(user=user, title=title, score=1.0)


def test_training_stores_a_ready_serving_version(taste_catalog, model_dir):
    result = train_model_version()
    version = result.version
    assert result.activated and version.status == ModelVersion.Status.READY
    assert serving_version() == version
    assert version.algorithm == algorithms.PRODUCTION
    assert version.n_ratings == Rating.objects.count()
    assert (version.n_users, version.n_titles) == (40, 30)
    # Predicting the global mean would score the ratings' standard deviation; the model must beat it.
    spread = statistics.pstdev(Rating.objects.values_list("score", flat=True))
    assert 0 < version.rmse < spread and 0 < version.mae < version.rmse
    assert version.duration_seconds > 0 and version.finished_at is not None
    artifact = model_dir / version.artifact_path
    assert artifact.exists() and len(version.artifact_sha256) == 64


def test_serving_loads_once_and_picks_up_a_newer_version(taste_catalog):
    seeded = {"random_state": 0}
    first = train_model_version(params=seeded).version
    loaded = serving.current_model()
    assert loaded.version_id == first.pk
    assert serving.current_model() is loaded
    second = train_model_version(params=seeded).version
    assert serving.current_model().version_id == second.pk


def test_failed_training_leaves_the_serving_model(taste_catalog, user, monkeypatch):
    good = train_model_version().version
    monkeypatch.setitem(algorithms.ALGORITHMS, "exploding", ExplodingAlgorithm)
    with pytest.raises(RuntimeError):
        train_model_version("exploding")
    failed = ModelVersion.objects.get(algorithm="exploding")
    assert failed.status == ModelVersion.Status.FAILED and "out of memory" in failed.error
    assert serving_version() == good
    rate_like_an_action_fan(user, taste_catalog)
    assert all(r.personalized for r in recommendations_for(user, n=5))


def test_a_worse_model_is_rejected(taste_catalog):
    good = train_model_version("surprise_svd", params={"random_state": 0}).version
    # No learning at all: every prediction is the global mean.
    worse = train_model_version("surprise_svd", params={"n_epochs": 1, "lr_all": 0.0, "init_std_dev": 0.0})
    assert not worse.activated
    assert worse.version.status == ModelVersion.Status.REJECTED
    assert worse.version.rmse > good.rmse
    assert serving_version() == good


def test_unknown_algorithm_is_refused_before_anything_is_stored(taste_catalog):
    with pytest.raises(ValueError, match="unknown algorithm"):
        train_model_version("no-such-algorithm")
    assert not ModelVersion.objects.exists()


def test_too_few_ratings_fails_cleanly(db):
    with pytest.raises(NotEnoughRatings):
        train_model_version()
    assert ModelVersion.objects.get().status == ModelVersion.Status.FAILED
    assert serving_version() is None


def test_corrupted_artifact_falls_back_to_the_previous_version(taste_catalog, user):
    previous = train_model_version().version
    latest = train_model_version().version
    (settings.MODEL_DIR / latest.artifact_path).write_bytes(b"garbage")
    assert serving.current_model().version_id == previous.pk


def test_missing_artifact_without_fallback_serves_popular_titles(taste_catalog, user):
    only = train_model_version().version
    (settings.MODEL_DIR / only.artifact_path).unlink()
    rate_like_an_action_fan(user, taste_catalog)
    recommendations = recommendations_for(user, n=5)
    assert len(recommendations) == 5 and not any(r.personalized for r in recommendations)


def test_rollback_by_activating_an_older_version(taste_catalog):
    first = train_model_version(params={"random_state": 0}).version
    second = train_model_version(params={"random_state": 0}).version
    assert serving_version() == second
    activate_version(first)
    assert serving_version() == first
    assert serving.current_model().version_id == first.pk


def test_train_command_prints_metrics(taste_catalog, capsys):
    call_command("train")
    out = capsys.readouterr().out
    assert "RMSE=" in out and "MAE=" in out and "activated" in out
    # both protocols: the held-out ratings and the held-out users, from 5, 10 and 20 given ratings
    assert "held-out P@10=" in out and "NDCG@10=" in out
    new_users_line = next(line for line in out.splitlines() if line.startswith("new users"))
    assert all(f"K={k}: NDCG@10=" in new_users_line for k in (5, 10))
    version = ModelVersion.objects.get()
    assert 0 < version.metrics["new_user_ndcg"]["5"] <= 1 and version.metrics["new_user_users"]["5"] > 0
    # The held-out lists' beyond-accuracy measures, as served (reranked with the catalog's genres).
    lists_line = next(line for line in out.splitlines() if line.startswith("held-out lists"))
    for measure in ("arp=", "aplt=", "coverage=", "novelty=", "diversity=", "overlap=", "miscalibration="):
        assert measure in lists_line
    beyond = version.metrics["beyond"]
    assert 0 < beyond["coverage"] <= 1 and 0 <= beyond["overlap"] <= 1 and beyond["arp"] > 0
    call_command("train", "--if-missing")
    assert "already serves" in capsys.readouterr().out
    assert ModelVersion.objects.count() == 1


def test_retrain_task_runs_in_process_without_a_broker(taste_catalog):
    from recommender.tasks import retrain

    result = retrain.delay().get()
    assert result["status"] == "ready" and result["activated"] is True
    assert serving_version().pk == result["version"]


def test_dismissed_titles_never_come_back(taste_catalog, user):
    from ratings.services import dismiss_title

    train_model_version()
    rate_like_an_action_fan(user, taste_catalog)
    top = recommendations_for(user, n=3)
    dismiss_title(user=user, title=top[0].title)
    after = recommendations_for(user, n=30)
    assert top[0].title.pk not in {r.title.pk for r in after}
    assert len(after) == 30 - 6 - 1


def test_recommendations_explain_themselves_with_a_liked_title(taste_catalog, user):
    train_model_version()
    rate_like_an_action_fan(user, taste_catalog)
    liked = {t.pk for t in taste_catalog["action"][:3]}
    recommendations = recommendations_for(user, n=5)
    assert all(r.because is not None for r in recommendations)
    assert {r.because.title.pk for r in recommendations} <= liked
    assert all(r.because.score == 5.0 for r in recommendations)
    assert str(recommendations[0].because).startswith("Because you rated Action Story")


def test_similar_titles_share_the_taste_group(taste_catalog):
    from recommender.predictions import similar_titles

    train_model_version("surprise_svd", params={"random_state": 0, "n_epochs": 60, "lr_all": 0.01})
    first_action = taste_catalog["action"][0]
    similar = similar_titles(first_action, n=5)
    assert len(similar) == 5 and first_action not in similar
    assert sum(t in taste_catalog["action"] for t in similar) >= 4


def test_similar_titles_without_a_model_fall_back_to_the_genre(taste_catalog):
    from recommender.predictions import similar_titles

    similar = similar_titles(taste_catalog["romance"][0], n=4)
    assert len(similar) == 4 and all(t in taste_catalog["romance"][1:] for t in similar)


def test_predicted_rating_for_one_title(taste_catalog, user):
    from recommender.predictions import title_outlook

    def predicted_rating_for(user, title):
        return title_outlook(user, title, rated=False, similar_ids=[]).predicted

    assert predicted_rating_for(user, taste_catalog["action"][5]) is None
    train_model_version()
    rate_like_an_action_fan(user, taste_catalog)
    loved = predicted_rating_for(user, taste_catalog["action"][5])
    disliked = predicted_rating_for(user, taste_catalog["romance"][5])
    assert 0.5 <= disliked < loved <= 5.0


def test_training_measures_new_users_the_model_never_saw(taste_catalog):
    version = train_model_version().version
    ndcg = version.metrics["new_user_ndcg"]
    # 8 of the 40 raters are held out (20 %); from 5 ratings their taste is plain
    assert version.metrics["new_user_users"]["5"] == 8
    assert ndcg["5"] > 0.5 and version.metrics["new_user_recall"]["5"] > 0


def test_a_model_that_cannot_fold_in_is_measured_warm_only(taste_catalog, capsys):
    call_command("train", "--algorithm", "surprise_svd")
    assert "new users: not measured (surprise_svd cannot fold in a new user)" in capsys.readouterr().out
    assert "new_user_ndcg" not in ModelVersion.objects.get().metrics


def test_a_model_worse_for_new_users_is_rejected_even_with_a_good_rmse(taste_catalog, capsys, monkeypatch):
    from recommender import training

    monkeypatch.setattr(training, "GATE_MIN_USERS", 8)  # the test catalog holds out 8 raters
    good = train_model_version().version
    # the same RMSE but far worse for new users: what a model that cannot rank newcomers looks like
    good.metrics = {**good.metrics, "new_user_ndcg": {**good.metrics["new_user_ndcg"], "10": 1.0}}
    good.save(update_fields=["metrics"])
    call_command("train")
    out = capsys.readouterr().out
    assert "rejected (new-user NDCG@10 (K=10)" in out and f"worse than serving v{good.pk}'s 1.0000" in out
    newer = ModelVersion.objects.latest("pk")
    assert newer.status == ModelVersion.Status.REJECTED and "new-user NDCG" in newer.metrics["rejected_because"]
    assert serving_version() == good


def test_the_new_user_gate_ignores_samples_too_small_to_compare(taste_catalog):
    good = train_model_version().version
    good.metrics = {**good.metrics, "new_user_ndcg": {**good.metrics["new_user_ndcg"], "10": 1.0}}
    good.save(update_fields=["metrics"])
    newer = train_model_version()
    assert newer.activated, "8 held-out users cannot tell two models apart; RMSE decides"


def test_the_new_user_gate_compares_only_lists_measured_alike(taste_catalog, monkeypatch):
    from recommender import training

    monkeypatch.setattr(training, "GATE_MIN_USERS", 8)
    old = train_model_version().version
    # A version from before the reranking stage: its NDCG is the scorer's alone, and higher.
    old.metrics = {key: value for key, value in old.metrics.items() if key != training.LISTS_MEASURED}
    old.metrics["new_user_ndcg"] = {**old.metrics["new_user_ndcg"], "10": 1.0}
    old.save(update_fields=["metrics"])
    newer = train_model_version()
    assert newer.version.metrics[training.LISTS_MEASURED] == "reranked as served"
    assert newer.activated, "reranked lists are not compared with a scorer-only NDCG; RMSE decides"
