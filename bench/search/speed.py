"""Search latency over generated pages, from another process, one connection (issue 14).

    python bench/search/speed.py [--pages 10000] [--json]

Generates PAGES pages (bench/generate.py, 100 sections), starts the portal with
production.ini (waitress, as bench/run.py starts it) with and without them, and sends
distinct one-, two- and three-word queries to ``/api/v1/search`` one after another on one
persistent connection: no query is repeated, so the search's result cache never answers.
Reports p50/p95/p99 (all queries and by number of words), the start-up time and resident
memory with and without the generated pages (the index's cost), and the index build time
the portal logs.
"""

import argparse
import http.client
import json
import math
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parents[1]
TARGETS = {"p95_ms": 10, "p99_ms": 25}
# Words of generate.PAGE besides generate.WORDS: they are on every generated page too.
TEMPLATE_WORDS = "example notes handle value default status ok params get return def scale section".split()
# What portal.search logs once the index is built ("search index: N pages[, ...] built in X ms").
INDEX_LOG_RE = re.compile(r"search index: (\d+) pages\b[^\"]*? built in (\d+) ms")


def bench_run():
    """bench/run.py, for its server helpers (imported late: run.py may import this file)."""
    sys.path.insert(0, str(BENCH))
    import run

    return run


def queries(generated, count=2700, seed=14):
    """``count`` distinct queries: every one-word query the generated text offers (its
    vocabulary and the numbers in its titles), then two- and three-word queries (pairs of
    vocabulary words; title words with the section's number; vocabulary triples), shuffled."""
    run = bench_run()
    rng = random.Random(seed)
    words = list(dict.fromkeys(run.generate.WORDS + TEMPLATE_WORDS))
    titles = [line[len("title: "):].lower().split()
              for path in sorted(Path(generated).rglob("*.md"))
              for line in path.read_text(encoding="utf-8").splitlines()[:3] if line.startswith("title: ")]
    one = words + sorted({t.split("-")[0] for title in titles for t in title if t[0].isdigit()})
    two = [f"{a} {b}" for a in run.generate.WORDS for b in run.generate.WORDS if a != b]
    rng.shuffle(two)
    three = {f"{t[0]} {t[1]} {t[2].split('-')[0]}" for t in titles if not t[0].startswith("scale")}
    three = sorted(three)
    rng.shuffle(three)
    half = (count - len(one)) // 2
    picked = one + two[:half]
    picked += three[:(count - len(picked)) // 2]
    while len(picked) < count:  # vocabulary triples make up the rest
        q = " ".join(rng.sample(run.generate.WORDS, 3))
        if q not in picked:
            picked.append(q)
    assert len(set(picked)) == len(picked) == count
    rng.shuffle(picked)
    return picked


def percentile(values, p):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(ms):
    return {"n": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99), "max_ms": max(ms)}


def time_queries(port, texts):
    """Milliseconds per query (request sent to body read) on one keep-alive connection,
    and how many found nothing."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    timings, empty = [], 0
    try:
        for q in texts:
            path = "/api/v1/search?" + urlencode({"q": q, "per_page": 10})
            start = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            timings.append((time.perf_counter() - start) * 1000)
            if resp.status != 200:
                raise RuntimeError(f"GET {path} answered {resp.status}: {body[:200]!r}")
            empty += json.loads(body)["total"] == 0
    finally:
        conn.close()
    return timings, empty


def start(run, workdir, name, pythonpath=None):
    db = f"sqlite:///{workdir}/{name}.sqlite"
    run.migrate(workdir, db)
    # "-cold" starts fill the content cache that the same site's warm start then reads.
    cache = Path(workdir) / f"content-cache-{name.removesuffix('-cold')}"
    server = run.start_portal(workdir, db, pythonpath=pythonpath, name=name, cache_dir=cache)
    log = (Path(workdir) / f"{name}.log").read_text(errors="replace")
    built = INDEX_LOG_RE.findall(log)
    return server, {"startup_s": server.startup_s, "rss_mb": server.rss_mb,
                    "index_pages": int(built[-1][0]) if built else None,
                    "index_build_ms": int(built[-1][1]) if built else None}


def measure(pages=10000, count=2700, warmup=20):
    """Latency of ``count`` distinct searches over ``pages`` generated pages (plus the
    first-party ones) and the index's start-up cost; a dict of figures."""
    run = bench_run()
    workdir = Path(tempfile.mkdtemp(prefix="portal-search-speed-"))
    try:
        result = {"pages": pages, "connections": 1}
        generated = workdir / "generated"
        run.generate.generate(generated, sections=100, pages=pages // 100 - 1)
        # A first start parses the content and fills the content cache; a second, like a
        # restarted production server, reads it back: both are stated, with and without.
        for key, name, path in (("without_cold", "first-party-cold", None),
                                ("without", "first-party", None),
                                ("with_cold", "generated-cold", generated)):
            server, result[key] = start(run, workdir, name, pythonpath=path)
            server.stop()
        server, result["with"] = start(run, workdir, "generated", pythonpath=generated)
        try:
            texts = queries(generated, count + warmup)
            time_queries(server.port, texts[:warmup])  # connection and code paths warm
            texts = texts[warmup:]
            ms, empty = time_queries(server.port, texts)
            result["rss_after_mb"] = server.rss_mb
        finally:
            server.stop()
        result["queries"] = len(texts)
        result["found_nothing"] = empty
        result["all"] = summary(ms)
        for n in (1, 2, 3):
            result[f"{n}_word"] = summary([t for q, t in zip(texts, ms, strict=True) if len(q.split()) == n])
        result["index_rss_mb"] = result["with"]["rss_mb"] - result["without"]["rss_mb"]
        result["meets_targets"] = (result["all"]["p95_ms"] < TARGETS["p95_ms"]
                                   and result["all"]["p99_ms"] < TARGETS["p99_ms"])
        return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def report(r):
    lines = [f"Search over {r['with']['index_pages'] or r['pages']} pages, {r['queries']} distinct "
             f"queries on one connection ({r['found_nothing']} found nothing); "
             f"target p95 < {TARGETS['p95_ms']} ms, p99 < {TARGETS['p99_ms']} ms: "
             f"{'met' if r['meets_targets'] else 'NOT met'}", "",
             "| queries | n | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---|---|---|---|"]
    for key in ("all", "1_word", "2_word", "3_word"):
        s = r[key]
        lines.append(f"| {key.replace('_', ' ')} | {s['n']} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} "
                     f"| {s['p99_ms']:.1f} | {s['max_ms']:.1f} |")
    lines += ["", "| start | start-up s | RSS MB | index pages | index build ms |", "|---|---|---|---|---|"]
    for key, label in (("without_cold", "first-party, cold content cache"),
                       ("without", "first-party, warm content cache"),
                       ("with_cold", "+ generated, cold content cache"),
                       ("with", "+ generated, warm content cache")):
        s = r[key]
        lines.append(f"| {label} | {s['startup_s']:.2f} | {s['rss_mb']:.0f} | {s['index_pages']} "
                     f"| {s['index_build_ms']} |")
    lines.append(f"\nThe generated pages cost {r['index_rss_mb']:.0f} MB of RSS at start, warm against "
                 f"warm ({r['rss_after_mb']:.0f} MB in all after the queries).")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=2700)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.pages, args.queries)
    print(json.dumps(result, indent=1) if args.json else report(result))


if __name__ == "__main__":
    main()
