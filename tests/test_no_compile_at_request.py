"""No numba kernel compiles inside a request: set-up (``scoring.warm_up``, run by ``manage.py
train`` and by every process that loads a model) compiles every signature that serving uses.
Checked in a fresh interpreter, where no other test has compiled anything yet."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHECK = """
import json, django
django.setup()
import numpy as np
from recommender import algorithms, ranking, scoring
from recommender.serving import LoadedModel
from recommender.storage import FactorModel
from tests.test_algorithms import low_rank_ratings

def signatures():
    return {k.__name__: len(k.signatures) for k in (scoring.fold_in_rating, scoring.top_rows, ranking.fold_in)}

algo = algorithms.build(algorithms.PRODUCTION, **json.loads(PARAMS)).fit(low_rank_ratings().build_full_trainset())
model = LoadedModel.from_factors(1, FactorModel.from_algorithm(algo, reg=algo.reg_pu))  # set-up: warm_up
compiled = signatures()
scores = {1: 5.0, 2: 3.5, 3: 4.0, 7: 1.0}
model.top_n(scores, 10)
model.top_n(scores, 5, allowed_title_ids=np.array([4, 5, 6, 8]))
model.predict_all(scores)
model.predict_one(scores, 9)
print(json.dumps({"set_up": compiled, "after_requests": signatures()}))
"""


@pytest.mark.parametrize("params", [{}, {"ranking_factors": 0}, {"neighbour_factors": 0}])
def test_serving_a_fitted_model_uses_only_the_signatures_compiled_at_set_up(params):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "streamrec.settings", "PYTHONPATH": str(root)}
    script = CHECK.replace("PARAMS", repr(json.dumps(params)))
    result = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["after_requests"] == seen["set_up"]
