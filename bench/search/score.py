"""Score search against the judged queries of bench/search/queries.yaml (issue 14).

    python bench/search/score.py [--misses] [--json]

Two engines over the same pages, the first-party sections (the plugins under plugins/):

- the portal: a real application built in-process, asked ``GET /api/v1/search?q=&per_page=10``
  as a reader's browser asks it, so any engine behind the API is scored the same way;
- lunr (the ``lunr`` package), configured as MkDocs' search plugin configures lunr.js: one
  document per page and one per heading section (ref ``page/#anchor``), fields ``title``
  (boost 10) and ``text``, the query string searched as typed through lunr's query parser.
  Section hits count for their page, at the rank of the page's first hit.

A query succeeds at k when any of its judged pages is among the first k pages; MRR@10 is the
mean of 1/rank of the first judged page in the top 10 (0 when none is).
"""

import argparse
import json
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
QUERIES = HERE / "queries.yaml"
TOP = 10
KINDS = ("word", "phrase", "question", "paraphrase", "abbreviation", "spelling", "typo", "section")


def load_queries(path=QUERIES):
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def first_party_plugins():
    """The entry-point names of the plugins kept in this repository (plugins/*)."""
    names = []
    for project in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        meta = tomllib.loads(project.read_text(encoding="utf-8"))["project"]
        names += meta.get("entry-points", {}).get("portal.plugins", {})
    return names


def build_app(workdir):
    """The portal with the first-party plugins only, on a migrated SQLite file in
    ``workdir`` (the API counts searches that find nothing in the database)."""
    # As portal.testing.build_app does, without needing pytest (make install has none).
    import webtest
    from alembic import command

    from portal import make_app
    from portal.ops.schema import alembic_config

    settings = {"sqlalchemy.url": f"sqlite:///{workdir}/score.sqlite",
                "portal.secret": "score-" + "0123456789abcdef" * 4,
                "portal.plugins.only": " ".join(first_party_plugins())}
    command.upgrade(alembic_config(settings), "head")
    return webtest.TestApp(make_app(settings), extra_environ={"REMOTE_ADDR": "192.0.2.10"})


def pages_of(app):
    """``(path, title, summary, chunks)`` of every page of the first-party sections, in
    reading order (``app`` may also hold other plugins' sections: they are left out)."""
    registry = app.app.registry
    names = set(first_party_plugins())
    owned = {s for rec in registry.portal_plugins if rec.name in names for s in rec.sections}
    return [("/" + node.key + "/", node.title, node.summary or "", node.doc.chunks)
            for section in registry.portal_root if section.__name__ in owned
            for node in section.walk()]


# -- the engines: each maps a query to page paths, best first -----------------------------

def portal_search(app):
    def search(q):
        resp = app.get("/api/v1/search", params={"q": q, "per_page": TOP})
        return [urlsplit(hit["url"]).path for hit in resp.json["results"]]
    return search


def mkdocs_documents(pages):
    """The documents MkDocs' search plugin (mkdocs/contrib/search/search_index.py) makes: the
    page (its title, all of its text) and each heading's section (the heading, its text).
    The summary is the page's lead paragraph, so it is part of the page's text here."""
    docs = []
    for path, title, summary, chunks in pages:
        texts = [summary] + [f"{c.heading.text} {c.text}" if c.heading else c.text for c in chunks]
        docs.append({"location": path, "title": title, "text": " ".join(texts)})
        for n, chunk in enumerate(c for c in chunks if c.heading):
            anchor = chunk.heading.id or f"heading-{n}"  # MkDocs gives every heading an id
            docs.append({"location": f"{path}#{anchor}", "title": chunk.heading.text,
                         "text": chunk.text})
    return docs


def lunr_search(pages):
    from lunr import lunr
    from lunr.exceptions import QueryParseError

    # lunr's default English pipeline and separator ([\s\-]+) are MkDocs' defaults too.
    index = lunr(ref="location", fields=[{"field_name": "title", "boost": 10}, "text"],
                 documents=mkdocs_documents(pages))

    def search(q):
        if len(q) < 3:  # MkDocs' client searches from min_search_length (3) characters
            return []
        try:
            hits = index.search(q)
        except QueryParseError:  # lunr.js throws on these too: the reader sees nothing
            return []
        return [hit["ref"].split("#", 1)[0] for hit in hits]
    return search


# -- scoring -----------------------------------------------------------------------------

def first_rank(found, relevant):
    """1-based rank of the first relevant page among the top pages (sections folded into
    their page, first rank kept), or None."""
    seen = []
    for path in found:
        if path not in seen:
            seen.append(path)
    for rank, path in enumerate(seen[:TOP], 1):
        if path in relevant:
            return rank
    return None


def evaluate(search, queries):
    ranks, top3 = [], []
    start = time.perf_counter()
    for q in queries:
        found = search(str(q["q"]))
        ranks.append(first_rank(found, set(q["relevant"])))
        top3.append(list(dict.fromkeys(found))[:3])
    seconds = time.perf_counter() - start
    n = len(queries)
    by_kind = defaultdict(list)
    for q, rank in zip(queries, ranks, strict=True):
        by_kind[q["kind"]].append(rank is not None and rank <= 3)
    return {
        "success@1": sum(r == 1 for r in ranks) / n,
        "success@3": sum(r is not None and r <= 3 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if r) / n,
        "success@3_by_kind": {k: sum(v) / len(v) for k, v in sorted(by_kind.items())},
        "ms_per_query": seconds * 1000 / n,
        "misses": [{"q": q["q"], "kind": q["kind"], "expected": q["relevant"], "got": got}
                   for q, rank, got in zip(queries, ranks, top3, strict=True)
                   if rank is None or rank > 3],
    }


def score(app=None, queries=None):
    """Figures for the portal and lunr on the same pages:
    ``{"queries", "pages", "engines": {name: {"success@1", ...}}, "lunr_build_s"}``."""
    if app is None:
        with tempfile.TemporaryDirectory(prefix="portal-score-") as workdir:
            return score(build_app(workdir), queries)
    queries = queries or load_queries()
    pages = pages_of(app)
    start = time.perf_counter()
    lunr_engine = lunr_search(pages)
    lunr_build = time.perf_counter() - start
    return {
        "queries": len(queries),
        "pages": len(pages),
        "lunr_build_s": lunr_build,
        "engines": {"portal": evaluate(portal_search(app), queries),
                    "lunr": evaluate(lunr_engine, queries)},
    }


def table(result):
    """The figures as a Markdown table (for the terminal and bench/RESULTS.md)."""
    engines = result["engines"]
    kinds = [k for k in KINDS if k in engines["portal"]["success@3_by_kind"]]
    head = ["engine", "success@1", "success@3", "MRR@10"] + [f"@3 {k}" for k in kinds]
    lines = [f"{result['queries']} judged queries over {result['pages']} first-party pages "
             "(bench/search/queries.yaml)", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in engines.items():
        cells = [name, f"{r['success@1']:.3f}", f"{r['success@3']:.3f}", f"{r['mrr@10']:.3f}"]
        cells += [f"{r['success@3_by_kind'][k]:.2f}" for k in kinds]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the portal's misses at 3")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    result = score()
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
        return
    print(table(result))
    if args.misses:
        misses = result["engines"]["portal"]["misses"]
        print(f"\nThe portal's misses at 3 ({len(misses)}):")
        for m in misses:
            print(f"- [{m['kind']}] {m['q']!r}: expected {', '.join(m['expected'])}; "
                  f"got {', '.join(m['got']) or 'nothing'}")


if __name__ == "__main__":
    main()
