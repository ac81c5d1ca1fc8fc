"""schemathesis over the endpoints of my services: ``me/services/`` (GET, PUT) and the list endpoints
that take ``services`` (titles, similar, recommendations), anonymous and signed in, with the checks
of tests/test_schema.py: no 5xx, documented status codes, content types, headers and bodies."""
import pytest
import schemathesis

from .api_fixtures import *  # noqa: F401,F403
from .test_schema import FUZZ, api_schema, auth_headers, call, report_fuzzing  # noqa: F401

NEW_PATHS = r"^/api/v1/(me/services/|titles/$|titles/\{id\}/similar/|titles/\{id\}/$|me/recommendations/)"

schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex=NEW_PATHS)


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_services_endpoints_fuzzed_anonymously(case):
    call(case, "services anonymous")


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_services_endpoints_fuzzed_signed_in(case, auth_headers):  # noqa: F811
    call(case, "services signed in", headers=auth_headers)
