"""The apps are layers: streamrec < ratings < catalog < recommender. No module imports an app above
its own (at module level or inside a function), and the catalog works on its own: without
``CATALOG_PERSONALIZATION`` its pages and API show no predictions and similar titles by genre."""
import ast
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from .test_pages_fixtures import catalog, rate_action_fan, trained  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["streamrec", "ratings", "catalog", "recommender"]


def imported_apps(path: Path) -> set[str]:
    """The apps of ``LAYERS`` that the module at ``path`` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(LAYERS)
    return found


@pytest.mark.parametrize("app", LAYERS)
def test_no_app_imports_an_app_above_it(app):
    above = set(LAYERS[LAYERS.index(app) + 1:])
    upward = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) & above)
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and imported_apps(path) & above
    }
    assert upward == {}


@override_settings(CATALOG_PERSONALIZATION=None)
def test_catalog_pages_without_personalization(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    title = trained["action"][5]
    detail = logged_in_client.get(reverse("catalog:title-detail", args=[title.pk]))
    assert detail.status_code == 200
    assert detail.context["predicted"] is None and detail.context["because"] is None
    assert detail.context["similar_predicted"] == {}
    assert {t.pk for t in detail.context["similar"]} <= {t.pk for t in trained["action"]} - {title.pk}
    listing = logged_in_client.get(reverse("catalog:title-list"), {"sort": "predicted"})
    assert listing.status_code == 200 and listing.context["predicted"] == {}
    assert listing.context["page"].paginator.count == 30  # by popularity: nothing to rank by
    person = logged_in_client.get(reverse("catalog:person-detail", args=[trained["director"].pk]))
    assert person.status_code == 200 and person.context["predicted"] == {}


@override_settings(CATALOG_PERSONALIZATION=None)
def test_similar_api_without_personalization_shares_a_genre(client, trained):
    title = trained["romance"][0]
    similar = client.get(f"/api/v1/titles/{title.pk}/similar/", {"n": 4}).json()
    assert len(similar) == 4
    assert {t["id"] for t in similar} <= {t.pk for t in trained["romance"][1:]}


def test_catalog_pages_with_personalization_predict(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    detail = logged_in_client.get(reverse("catalog:title-detail", args=[trained["action"][5].pk]))
    assert detail.context["predicted"] is not None and detail.context["similar_predicted"]
