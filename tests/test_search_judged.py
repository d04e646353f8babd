"""The judged query set of bench/search/queries.yaml (issue 14) stays sound: every answer
is a page of the installed first-party sections, every kind of query is represented, and no
query is judged twice. It does not score the engine: bench/search/score.py does."""

from collections import Counter
from pathlib import Path

import yaml

QUERIES = Path(__file__).resolve().parent.parent / "bench" / "search" / "queries.yaml"
KINDS = {"word", "phrase", "question", "paraphrase", "abbreviation", "spelling", "typo", "section"}


def load():
    return yaml.safe_load(QUERIES.read_text(encoding="utf-8"))


def test_the_set_is_large_varied_and_without_duplicates():
    queries = load()
    assert len(queries) >= 250
    assert all(set(q) == {"q", "kind", "relevant"} and q["relevant"] for q in queries)
    kinds = Counter(q["kind"] for q in queries)
    assert set(kinds) == KINDS, kinds
    assert min(kinds.values()) >= 10, kinds
    texts = Counter(" ".join(str(q["q"]).lower().split()) for q in queries)
    assert [t for t, n in texts.items() if n > 1] == []


def test_every_judged_answer_is_a_page(portal_app):
    paths = sorted({path for q in load() for path in q["relevant"]})
    missing = [path for path in paths if portal_app.get(path, expect_errors=True).status_int != 200]
    assert missing == []
