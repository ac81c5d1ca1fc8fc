"""Model artifacts on S3 (STREAMREC_MODEL_STORAGE=s3, django-storages): a round trip through a real
S3-compatible server that the test starts (moto in server mode, its own port), so several web
machines can share one model. Training writes the artifact and its index there, serving reads them
back, and a corrupted object is refused as on disk."""
import subprocess
import sys
import urllib.error
import urllib.request

import boto3
import pytest

from ratings.models import Rating
from recommender import serving, storage
from recommender.models import ModelVersion
from recommender.services import ARTIFACT_ERROR_PREFIX
from recommender.training import train_model_version

from .conftest import recommendations_for
from .processes import free_port, wait_for

BUCKET = "streamrec-models"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture
def s3_server(tmp_path):
    """moto's S3 server in a process of its own; its endpoint URL."""
    port = free_port()
    log = open(tmp_path / "moto.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            pytest.fail(f"the moto server exited: {(tmp_path / 'moto.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1) as response:
                return response.status < 500
        except (urllib.error.URLError, ConnectionError):
            return False

    try:
        wait_for(answers, 60, "the moto S3 server to answer")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def s3_models(s3_server, settings, monkeypatch):
    """STORAGES["models"] as STREAMREC_MODEL_STORAGE=s3 makes it, pointed at the test's server."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_server, **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "models": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": BUCKET, "location": "models", "endpoint_url": s3_server, "region_name": "us-east-1",
        "file_overwrite": False}}}
    settings.ANN_MIN_TITLES = 2  # the index travels with the artifact
    return client


def stored_keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_training_stores_on_s3_and_serving_reads_it_back(taste_catalog, user, s3_models, model_dir):
    version = train_model_version(params={"random_state": 0}).version
    assert version.status == ModelVersion.Status.READY
    assert version.artifact_path == f"model-v{version.pk}.npz"
    assert stored_keys(s3_models) == {f"models/model-v{version.pk}.npz", f"models/model-v{version.pk}.faiss"}
    assert not model_dir.exists() or not any(model_dir.iterdir())  # nothing on this machine's disk

    serving.forget()  # another web machine: it has only the bucket
    model = serving.current_model()
    assert model.version_id == version.pk and model.order_index is not None
    for title in taste_catalog["romance"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    romance = {title.pk for title in taste_catalog["romance"]}
    served = recommendations_for(user, n=5)
    assert [item.personalized for item in served] == [True] * 5
    assert sum(item.title.pk in romance for item in served) >= 4


def test_a_corrupted_object_on_s3_is_refused(taste_catalog, s3_models):
    previous = train_model_version(params={"random_state": 0}).version
    latest = train_model_version(params={"random_state": 0}).version
    s3_models.put_object(Bucket=BUCKET, Key=f"models/{latest.artifact_path}", Body=b"garbage")

    with pytest.raises(storage.ArtifactError, match="corrupted"):
        serving.load_version(latest)
    assert serving.current_model().version_id == previous.pk
    latest.refresh_from_db()
    assert latest.error.startswith(ARTIFACT_ERROR_PREFIX)

    s3_models.delete_object(Bucket=BUCKET, Key=f"models/{previous.artifact_path}")
    with pytest.raises(storage.ArtifactError, match="cannot read"):
        serving.load_version(previous)


def test_a_name_already_taken_on_s3_is_not_overwritten(s3_models):
    from tests.test_serving_ranking import tiny_model

    first = storage.save(tiny_model(with_ranking=False), "model-v1.npz")
    second = storage.save(tiny_model(with_ranking=False), "model-v1.npz")
    assert first.name == "model-v1.npz" and second.name != first.name
    assert {f"models/{first.name}", f"models/{second.name}"} <= stored_keys(s3_models)
    assert storage.load(second.name, second.sha256).title_ids.tolist() == storage.load(first.name, first.sha256).title_ids.tolist()
