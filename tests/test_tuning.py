import pytest
from django.core.management import CommandError, call_command

from recommender.models import ModelVersion
from recommender.selectors import serving_version
from recommender.tasks import retrain, tune
from recommender.tuning import parse_grid

GRID = {"n_factors": [2, 8], "reg_factor": [0.02, 0.5]}


def test_parse_grid_reads_numbers_and_refuses_garbage():
    assert parse_grid(["n_factors=2,8", "lr_factor=0.01"]) == {"n_factors": [2, 8], "lr_factor": [0.01]}
    with pytest.raises(ValueError):
        parse_grid(["n_factors"])


def test_tune_task_trains_the_best_candidate(taste_catalog):
    result = tune.delay("biased_mf", GRID, 2).get()
    version = serving_version()
    assert result["version"] == version.pk and result["activated"]
    tried = version.metrics["tuning"]["candidates"]
    assert len(tried) == 4
    assert [c["rmse"] for c in tried] == sorted(c["rmse"] for c in tried)
    assert version.params == tried[0]["params"] == result["best_params"]


def test_scheduled_retrain_keeps_the_tuned_configuration(taste_catalog):
    tuned = tune.delay("biased_mf", GRID, 2).get()
    retrained = retrain.delay().get()
    assert ModelVersion.objects.get(pk=retrained["version"]).params == tuned["best_params"]


def test_tune_command_prints_a_table_and_the_winner(taste_catalog, capsys):
    call_command("tune", "--algorithm", "biased_mf", "--folds", "2", "--param", "n_factors=2,8")
    out = capsys.readouterr().out
    assert out.count("{'n_factors'") == 3  # two table rows and the winner
    assert "best=" in out and "held-out RMSE=" in out


@pytest.mark.parametrize("args", [["--param", "n_factors"], ["--folds", "1"], ["--param", "no_such_param=1"]])
def test_tune_command_refuses_bad_input(taste_catalog, args):
    with pytest.raises(CommandError):
        call_command("tune", "--algorithm", "biased_mf", *args)
    assert not ModelVersion.objects.exists()


def test_tune_by_ndcg_ranks_candidates_by_their_top_n_lists(taste_catalog, capsys):
    call_command("tune", "--algorithm", "biased_mf", "--folds", "2", "--by", "ndcg", "--param", "neighbour_weight=0,1")
    out = capsys.readouterr().out
    tried = serving_version().metrics["tuning"]
    assert tried["metric"] == "ndcg"
    assert [c["ndcg"] for c in tried["candidates"]] == sorted((c["ndcg"] for c in tried["candidates"]), reverse=True)
    assert "cv_ndcg=" in out and out.count("{'neighbour_weight'") == 3

