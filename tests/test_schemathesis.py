"""Schemathesis against ``/api/v1/openapi.json`` (issue 12): a few hundred generated
requests, positive and negative, every default check (no 5xx, documented status codes,
content types and headers, responses matching their schemas, schema-valid requests accepted
and schema-invalid ones refused, undeclared methods answered 405), and not one failure.

Two values no schema can describe come from the site itself, as a client gets them: the
page ``key`` names a real page (any other is a documented 404), and a positive comment
post carries a fresh ``stamp`` from ``GET /api/v1/csrf`` (a random string is no stamp) and
a ``parent`` that exists or none."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from portal.testing import TEST_SECRET, build_app, migrate

from .conftest import DEMO_PLUGIN

EXAMPLES = 30  # per operation and mode: some 400 requests in all


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    """The demo section on SQLite, one app for the whole run (the checks are stateless)."""
    import importlib
    import sys
    import textwrap

    root = tmp_path_factory.mktemp("schemathesis-site")
    for rel, text in DEMO_PLUGIN.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    info = root / "portal_demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: portal-demo\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[portal.plugins]\ndemo = portal_demo\n")
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    url = f"sqlite:///{root / 'portal.sqlite'}"
    migrate({"sqlalchemy.url": url})
    app = build_app({"sqlalchemy.url": url, "portal.secret": TEST_SECRET,
                     "portal.comments.min_seconds": "0",
                     "portal.comments.rate_limit": "1000000",
                     "portal.ratings.rate_limit": "1000000",
                     "portal.ratings.reader_limit": "1000000"}, plugins=["demo"])
    yield app
    sys.path.remove(str(root))
    for name in [m for m in sys.modules if m == "portal_demo" or m.startswith("portal_demo.")]:
        del sys.modules[name]


def realistic(case, api_app):
    """The values a client takes from the site (see the module's docstring)."""
    if case.method == "POST" and isinstance(case.body, dict) and case.meta is not None and \
            case.meta.generation.mode == GenerationMode.POSITIVE:
        case.body["stamp"] = api_app.get("/api/v1/csrf").json["stamp"]
        if case.body.get("parent") is not None:
            case.body["parent"] = None


def test_the_api_answers_as_its_document_says(api_app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app.app)
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        keyed = {"key": "demo/first"} if "{key}" in operation.path else None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=keyed)

            @given(case=strategy)
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                realistic(case, api_app)
                # requests offers gzip and br (brotli is installed) but schemathesis' WSGI
                # client decodes neither; the compression itself is tested in test_pagecache.
                response = case.call(headers={"Accept-Encoding": "identity"})
                tried.append((case.method, case.path, response.status_code))
                assert response.status_code < 500, (case.method, case.path, response.text[:300])
                case.validate_response(response)

            try:
                run()
            except Unsatisfiable:
                # No parameter and no body: nothing can be made invalid.
                assert mode == GenerationMode.NEGATIVE, operation.label
    print(f"\nschemathesis: {len(tried)} requests, "
          f"{sum(status >= 500 for *_, status in tried)} answered 5xx")
    assert len(tried) >= 200
