"""``make bench``: the portal's performance, measured from another process.

Starts the portal with production.ini (waitress, the same settings as production, every
first-party plugin) on SQLite, and again on PostgreSQL when a server is reachable, and
loads it with wrk (Debian's ``wrk``; bench/load.py when it is not installed) at 16
connections: a page view, a section listing, a search, a comment post and a rating put.
A minimal Pyramid + waitress application (bench/hello.py) is measured in the same run as
the baseline. Then: start-up time and resident memory with the first-party plugins and
with 300 generated sections (bench/generate.py), search latency over 10,000 generated
pages, and the first page of a discussion of 10,000 comments.

Results are printed and written to bench/RESULTS.md (between the markers; the analysis
below them is kept).

Environment: BENCH_DURATION (seconds per load run, default 10), BENCH_CONNECTIONS (16),
BENCH_POSTGRES_URL (server to create a throw-away database on; default the local one),
BENCH_LOADGEN=python to use bench/load.py even when wrk is installed.
"""

import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (bench/generate.py)

SECRET = "bench-" + "0123456789abcdef" * 4
DURATION = float(os.environ.get("BENCH_DURATION", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
WRK = None if os.environ.get("BENCH_LOADGEN") == "python" else shutil.which("wrk")
SEARCH_QUERY = "transaction"


def search_paths(n=3000):
    """Distinct queries (one or two words of the generated text), so that the search's own
    result cache does not answer them: every request is a real search."""
    words = generate.WORDS
    pairs = [f"{a}+{b}" for a in words for b in words if a != b]
    return [f"/api/v1/search?q={q}" for q in (words + pairs)[:n]]
# Any cookie makes the portal render the page for this reader (portal.pagecache).
READER_COOKIE = "bench=1"

TARGETS = {
    "ratio": 0.5, "page_p99_ms": 25, "search_p95_ms": 10, "startup_s": 2,
    "startup_300_s": 10, "rss_mb": 150, "thread_ms": 30,
}


# -- processes ---------------------------------------------------------------------------

def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url, timeout=10, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace"), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace"), err.headers


def wait_until_ready(url, process, timeout=120):
    """Seconds from now until ``url`` answers 200."""
    start = time.perf_counter()
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return time.perf_counter() - start
        except (OSError, urllib.error.HTTPError):
            pass
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"{url} not ready within {timeout}s")
        time.sleep(0.02)


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    def __init__(self, argv, env, port, log, ready_path="/readyz"):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        self.process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        cwd=str(ROOT))
        wait_until_ready(self.url + ready_path, self.process)
        self.startup_s = time.perf_counter() - started

    @property
    def rss_mb(self):
        return rss_mb(self.process.pid)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def portal_env(database_url, pythonpath=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({
        "DATABASE_URL": database_url,
        "PORTAL_SECRET": SECRET,
        # One client sends every comment: lift the per-client limits the site keeps for readers.
        "PORTAL_COMMENTS_RATE_LIMIT": "1000000000",
        "PORTAL_COMMENTS_MIN_SECONDS": "0",
    })
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath)] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def production_ini(workdir, port):
    text = (ROOT / "production.ini").read_text()
    text = re.sub(r"^listen = .*$", f"listen = 127.0.0.1:{port}", text, flags=re.M)
    ini = Path(workdir) / f"production-{port}.ini"
    ini.write_text(text)
    return ini


def start_portal(workdir, database_url, pythonpath=None, name="portal"):
    port = free_port()
    ini = production_ini(workdir, port)
    env = portal_env(database_url, pythonpath)
    log = open(Path(workdir) / f"{name}.log", "ab")
    return Server([str(BIN / "pserve"), str(ini)], env, port, log)


def migrate(workdir, database_url):
    ini = production_ini(workdir, 0)
    subprocess.run([str(BIN / "portal"), "db", "upgrade", str(ini)], env=portal_env(database_url),
                   check=True, capture_output=True)


# -- load --------------------------------------------------------------------------------

def load(url, connections=CONNECTIONS, duration=DURATION, method="GET", body=None, ctype=None,
         cookie=None, paths=None):
    """Run the load generator in its own process; the summary as a dict. ``paths``: take
    these paths in turn instead of ``url``'s (on the same server)."""
    if WRK:
        env = dict(os.environ, BENCH_METHOD=method)
        if paths:
            env["BENCH_PATHS"] = " ".join(paths)
        if cookie:
            env["BENCH_COOKIE"] = cookie
        if body is not None:
            env["BENCH_BODY"] = body
        if ctype:
            env["BENCH_CONTENT_TYPE"] = ctype
        argv = [WRK, "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{int(round(duration))}s",
                "--timeout", "10s", "-s", str(HERE / "report.lua"), url]
    else:
        env = dict(os.environ)
        argv = [sys.executable, str(HERE / "load.py"), url, "--connections", str(connections),
                "--duration", str(duration), "--method", method]
        if body is not None:
            argv += ["--body", body]
        if ctype:
            argv += ["--content-type", ctype]
        if cookie:
            argv += ["--cookie", cookie]
        if paths:
            argv += ["--paths", " ".join(paths)]
    run = subprocess.run(argv, env=env, capture_output=True, text=True)
    line = next((out for out in run.stdout.splitlines() if out.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"{argv[0]} gave no summary (exit {run.returncode}): {run.stderr[-500:]}")
    result = json.loads(line[len("BENCH_JSON "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    for p in ("p50", "p95", "p99"):
        result[f"{p}_ms"] = result[f"{p}_us"] / 1000
    result["connections"] = connections
    return result


def check_status(url, method="GET", body=None, ctype=None, cookie=None, expect=(200, 201)):
    data = body.replace("{n}", "check").encode() if body else None
    headers = {"Content-Type": ctype} if ctype else {}
    if cookie:
        headers["Cookie"] = cookie
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            status = resp.status
            text = resp.read().decode()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode()
    if status not in expect:
        raise RuntimeError(f"{method} {url} answered {status}: {text[:300]}")


# -- data --------------------------------------------------------------------------------

def insert_comments(database_url, page_key, count, threaded):
    """``count`` approved comments on ``page_key``: one thread (a top-level comment and its
    replies) if ``threaded``, else ``count`` top-level comments."""
    import sqlalchemy as sa

    sys.path.insert(0, str(ROOT))
    from portal.discussion.models import Comment

    engine = sa.create_engine(database_url)
    table = Comment.__table__
    start = datetime.datetime(2026, 1, 1)
    rows = [{
        "page_key": page_key, "parent_id": None, "root_id": None, "depth": 0,
        "author_name": f"reader {i % 97}", "author_key": None,
        "body_source": f"Comment {i}: the connection pool is shared between threads.",
        "body_html": f"<p>Comment {i}: the connection pool is shared between threads.</p>",
        "state": "approved", "created_at": start + datetime.timedelta(seconds=i),
        "updated_at": start + datetime.timedelta(seconds=i),
    } for i in range(count)]
    with engine.begin() as conn:
        if threaded:
            root_id = conn.execute(table.insert().values(rows[0]).returning(table.c.id)).scalar_one()
            conn.execute(table.update().where(table.c.id == root_id).values(root_id=root_id))
            for row in rows[1:]:
                row.update(parent_id=root_id, root_id=root_id, depth=1)
            conn.execute(table.insert(), rows[1:])
        else:
            conn.execute(table.insert(), rows)
            conn.execute(table.update().where(table.c.page_key == page_key)
                         .values(root_id=table.c.id))
            root_id = None
    # Planner statistics, as autovacuum (PostgreSQL) would gather after a bulk load: without
    # them PostgreSQL scans the whole table for each pending comment's "has a visible reply"
    # test (1.3 s for the page instead of about 10 ms).
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()
    return root_id


def postgres_database():
    """A throw-away database on the PostgreSQL server, or None when none is reachable."""
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"portal_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no driver, no server: skip PostgreSQL
        print(f"PostgreSQL not reachable ({type(exc).__name__}); SQLite only")
        return None, None
    url = sa.engine.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


# -- the runs ----------------------------------------------------------------------------

def find_pages(base):
    """A page and its section from the running portal (the first section's first page)."""
    status, html, _ = get(base + "/guide/")
    section = "/guide/" if status == 200 else None
    if section is None:
        first = re.search(r'<nav class="site-nav".*?<a href="https?://[^/]+(/[^"]+)"', get(base + "/")[1], re.S)
        section = first.group(1)
        html = get(base + section)[1]
    link = re.search(r'class="card__title"><a href="https?://[^/]+(/[^"]+)"', html)
    page = link.group(1) if link else section
    return section, page


def stamp_of(base, path):
    html = get(base + path)[1]
    return re.search(r'name="stamp" value="([^"]+)"', html).group(1)


def measure_portal(label, workdir, database_url):
    results = {"label": label}
    migrate(workdir, database_url)
    # 10,000 comments: one page with 10,000 top-level comments, one with a 10,000-comment thread.
    server = start_portal(workdir, database_url, name=f"portal-{label}")
    try:
        results["startup_s"] = server.startup_s
        results["rss_start_mb"] = server.rss_mb
        base = server.url
        section, page = find_pages(base)
        key = page.strip("/")
        print(f"[{label}] started in {server.startup_s:.2f}s; page {page}, section {section}")
        results["page_bytes"] = len(get(base + page)[1].encode())
        for _ in range(50):
            get(base + page)
            get(base + section)
        runs = {}
        runs["page view"] = (base + page, {})
        # A reader who sent cookies is never served a kept page: the full rendering.
        runs["page view, rendered"] = (base + page, {"cookie": READER_COOKIE})
        runs["section listing"] = (base + section, {})
        search_url = f"{base}/api/v1/search?q={SEARCH_QUERY}"
        status = get(search_url)[0]
        if status == 200:
            runs["search"] = (search_url, {"paths": search_paths()})
        else:
            results["search_missing"] = f"GET /api/v1/search answered {status}"
        stamp = stamp_of(base, page)
        comment = json.dumps({"body": "Benchmark comment {n}: measuring the write path.",
                              "name": "bench", "stamp": stamp})
        runs["comment post"] = (f"{base}/api/v1/pages/{key}/comments",
                                {"method": "POST", "body": comment, "ctype": "application/json"})
        runs["rating put"] = (f"{base}/api/v1/pages/{key}/rating/mine",
                              {"method": "PUT", "body": '{"stars": 4}', "ctype": "application/json"})
        for name, (url, kw) in runs.items():
            check_status(url, **{k: v for k, v in kw.items() if k != "paths"})
            results[name] = load(url, **kw)
            r = results[name]
            print(f"[{label}] {name:16} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.1f} ms  "
                  f"p99 {r['p99_ms']:6.1f} ms  non-2xx {r['non_2xx_3xx']}  errors {r['socket_errors']}")
        results["rss_after_load_mb"] = server.rss_mb
    finally:
        server.stop()

    # The 10,000-comment discussion, in a fresh process on the same database.
    thread_key = key
    flat_key = section.strip("/")
    insert_comments(database_url, flat_key, 10_000, threaded=False)
    root_id = insert_comments(database_url, thread_key, 10_000, threaded=True)
    server = start_portal(workdir, database_url, name=f"portal-{label}-comments")
    try:
        base = server.url
        for name, url in (
            ("10,000 top-level comments: page", f"{base}/{flat_key}/"),
            ("10,000-comment thread: page", f"{base}/{thread_key}/"),
            ("10,000-comment thread: thread view", f"{base}/{thread_key}/?thread={root_id}"),
            ("10,000 comments: API first page", f"{base}/api/v1/pages/{flat_key}/comments"),
        ):
            check_status(url)
            for _ in range(20):
                get(url, headers={"Cookie": READER_COOKIE})
            # With a cookie: rendered from the database each time, not a kept page.
            results[name] = load(url, connections=1, duration=min(DURATION, 5), cookie=READER_COOKIE)
            r = results[name]
            print(f"[{label}] {name:38} p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  "
                  f"p99 {r['p99_ms']:6.1f} ms")
    finally:
        server.stop()
    return results


def measure_hello(workdir, body_bytes=None):
    port = free_port()
    log = open(Path(workdir) / "hello.log", "ab")
    argv = [sys.executable, str(HERE / "hello.py"), str(port)]
    if body_bytes:
        argv.append(str(body_bytes))
    server = Server(argv, dict(os.environ), port, log, ready_path="/")
    try:
        for _ in range(50):
            get(server.url + "/")
        result = load(server.url + "/")
        result["body_bytes"] = body_bytes or len("Hello, world!")
        print(f"[hello {result['body_bytes']} bytes] {result['rps']:8.0f} req/s  p50 {result['p50_ms']:6.1f} ms  "
              f"p99 {result['p99_ms']:6.1f} ms")
        return result
    finally:
        server.stop()


def measure_scale(workdir, sections, pages, label, search=False):
    """Start-up and memory with a generated plugin; optionally search latency."""
    dest = Path(workdir) / f"gen-{label}"
    generate.generate(dest, sections=sections, pages=pages)
    db = Path(workdir) / f"scale-{label}.sqlite"
    url = f"sqlite:///{db}"
    migrate(workdir, url)
    server = start_portal(workdir, url, pythonpath=dest, name=f"portal-{label}")
    result = {"sections": sections, "pages": sections * (pages + 1),
              "startup_s": server.startup_s}
    try:
        result["rss_mb"] = server.rss_mb
        status, body, _ = get(server.url + "/-/plugins.json")
        loaded = {p["name"]: p["status"] for p in json.loads(body)["plugins"]}
        result["generated_plugin"] = loaded.get("bench-scale")
        print(f"[{label}] {result['pages']} pages in {sections} sections: start-up "
              f"{result['startup_s']:.2f}s, RSS {result['rss_mb']:.0f} MB, plugin {result['generated_plugin']}")
        if search:
            url = f"{server.url}/api/v1/search?q={SEARCH_QUERY}"
            status = get(url)[0]
            if status != 200:
                result["search_missing"] = f"GET /api/v1/search answered {status}"
                print(f"[{label}] search not measured: {result['search_missing']}")
            else:
                for _ in range(20):
                    get(url)
                paths = search_paths()
                result["search"] = load(url, connections=1, duration=min(DURATION, 5), paths=paths)
                result["search_16"] = load(url, paths=list(reversed(paths)))
                r = result["search"]
                print(f"[{label}] search p50 {r['p50_ms']:.1f} ms p95 {r['p95_ms']:.1f} ms "
                      f"(1 connection); {result['search_16']['rps']:.0f} req/s at 16")
        result["rss_after_mb"] = server.rss_mb
    finally:
        server.stop()
    return result


# -- the report --------------------------------------------------------------------------

def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next((row.split()[1] for row in Path("/proc/meminfo").read_text().splitlines()
                if row.startswith("MemTotal")), "0")
    loadgen = (subprocess.run([WRK, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
               if WRK else "bench/load.py (Python)")
    return {
        "loadavg": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "os": platform.platform(), "python": platform.python_version(),
        "loadgen": loadgen.split(" Copyright")[0].replace(" [epoll]", "").strip() or "wrk",
    }


def verdict(ok):
    return "met" if ok else "**missed**"


def report(m, hello, hello_big, dbs, scale300, scale10k):
    lines = [
        f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores, {m['memory_gb']} GB), "
        f"{m['os']}, Python {m['python']}; load from another process with {m['loadgen']}, "
        f"{CONNECTIONS} connections, {DURATION:g} s per run; load average {m['loadavg']} at the "
        "end (other work shares this machine, so figures vary by some tens of percent between "
        "runs). The portal runs production.ini "
        "(waitress, 8 threads, one process) with every first-party plugin; the readers are "
        "anonymous (no cookies) but for \"page view, rendered\", which sends a cookie and so is "
        "rendered for its reader every time. Comment posts and rating puts go through the JSON API, each "
        "request a new reader (every request is an INSERT).",
        "",
        f"Baseline: minimal Pyramid + waitress hello world: **{hello['rps']:.0f} req/s**, "
        f"p50 {hello['p50_ms']:.1f} ms, p99 {hello['p99_ms']:.1f} ms. "
        f"The same application answering {hello_big['body_bytes']} bytes (the size of the page "
        f"measured below; no application work at all): {hello_big['rps']:.0f} req/s, "
        f"p50 {hello_big['p50_ms']:.1f} ms, p99 {hello_big['p99_ms']:.1f} ms.",
        "",
        "| Database | Request | req/s | p50 ms | p99 ms | non-2xx |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for res in dbs:
        for name in ("page view", "page view, rendered", "section listing", "search",
                     "comment post", "rating put"):
            if name not in res:
                lines.append(f"| {res['label']} | {name} | not measured: "
                             f"{res.get('search_missing', 'missing')} | | | |")
                continue
            r = res[name]
            lines.append(f"| {res['label']} | {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
                         f"{r['p99_ms']:.1f} | {r['non_2xx_3xx'] + r['socket_errors']} |")
    lines += ["", "| Database | 10,000 comments (1 connection) | p50 ms | p95 ms | p99 ms |",
              "|---|---|---:|---:|---:|"]
    for res in dbs:
        for name, r in res.items():
            if name.startswith("10,000"):
                lines.append(f"| {res['label']} | {name} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
                             f"{r['p99_ms']:.1f} |")
    lines += ["", "| Portal | pages | start-up s | RSS after start MB | RSS after load MB |",
              "|---|---:|---:|---:|---:|"]
    for res in dbs:
        lines.append(f"| first-party plugins, {res['label']} | | {res['startup_s']:.2f} | "
                     f"{res['rss_start_mb']:.0f} | {res['rss_after_load_mb']:.0f} |")
    for res, name in ((scale300, "300 generated sections"), (scale10k, "10,000 generated pages")):
        lines.append(f"| {name} (SQLite) | {res['pages']} | {res['startup_s']:.2f} | "
                     f"{res['rss_mb']:.0f} | {res['rss_after_mb']:.0f} |")
    if "search" in scale10k:
        s = scale10k["search"]
        lines += ["", f"Search over {scale10k['pages']} pages ({len(search_paths())} distinct "
                  "one- and two-word queries taken in turn, so the result cache does not answer), one connection: "
                  f"p50 {s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms; "
                  f"{scale10k['search_16']['rps']:.0f} req/s at {CONNECTIONS} connections."]
    else:
        lines += ["", f"Search over 10,000 pages: not measured ({scale10k.get('search_missing')})."]

    sqlite = dbs[0]
    threads = [r["p50_ms"] for res in dbs for n, r in res.items() if n.startswith("10,000")]
    rss = max([res["rss_after_load_mb"] for res in dbs] + [scale300["rss_after_mb"]])
    lines += ["", "| Target | Measured | |", "|---|---|---|"]
    for res in dbs:
        p = res["page view"]
        r = p["rps"] / hello["rps"]
        lines.append(f"| page view >= 0.5 x hello world ({res['label']}) | {r:.2f} x "
                     f"({p['rps']:.0f} / {hello['rps']:.0f}) | {verdict(r >= TARGETS['ratio'])} |")
        lines.append(f"| (for reference: page view / page-sized hello world, {res['label']}) | "
                     f"{p['rps'] / hello_big['rps']:.2f} x | |")
        lines.append(f"| page view p99 < 25 ms at {CONNECTIONS} connections ({res['label']}) | "
                     f"{p['p99_ms']:.1f} ms | {verdict(p['p99_ms'] < TARGETS['page_p99_ms'])} |")
    if "search" in scale10k:
        s95 = scale10k["search"]["p95_ms"]
        lines.append(f"| search p95 < 10 ms at 10,000 pages | {s95:.1f} ms | "
                     f"{verdict(s95 < TARGETS['search_p95_ms'])} |")
    else:
        lines.append("| search p95 < 10 ms at 10,000 pages | not measured | **missed** |")
    lines.append(f"| start-up < 2 s, first-party plugins | {sqlite['startup_s']:.2f} s | "
                 f"{verdict(sqlite['startup_s'] < TARGETS['startup_s'])} |")
    lines.append(f"| start-up < 10 s, 300 sections | {scale300['startup_s']:.2f} s | "
                 f"{verdict(scale300['startup_s'] < TARGETS['startup_300_s'])} |")
    lines.append(f"| RSS < 150 MB (largest of the runs above but 10,000 pages) | {rss:.0f} MB | "
                 f"{verdict(rss < TARGETS['rss_mb'])} |")
    lines.append(f"| 10,000-comment first page < 30 ms (p50, slowest case) | {max(threads):.1f} ms | "
                 f"{verdict(max(threads) < TARGETS['thread_ms'])} |")
    return "\n".join(lines)


START, END = "<!-- bench:start (written by bench/run.py) -->", "<!-- bench:end -->"


def write_results(text):
    path = HERE / "RESULTS.md"
    block = f"{START}\n{text}\n{END}"
    if path.exists() and START in path.read_text():
        old = path.read_text()
        new = old[:old.index(START)] + block + old[old.index(END) + len(END):]
    else:
        new = f"# Benchmark results\n\n`make bench` (bench/run.py) wrote the figures below.\n\n{block}\n"
    path.write_text(new)
    print(f"wrote {path}")


def main():
    print(f"load generator: {WRK or 'bench/load.py (wrk not installed)'}")
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    try:
        hello = measure_hello(workdir)
        dbs = [measure_portal("SQLite", workdir, f"sqlite:///{workdir}/bench.sqlite")]
        pg_url, drop = postgres_database()
        if pg_url:
            try:
                dbs.append(measure_portal("PostgreSQL", workdir, pg_url))
            finally:
                drop()
        scale300 = measure_scale(workdir, 300, 5, "300-sections")
        scale10k = measure_scale(workdir, 100, 99, "10k-pages", search=True)
        hello_big = measure_hello(workdir, body_bytes=dbs[0]["page_bytes"])
        text = report(machine(), hello, hello_big, dbs, scale300, scale10k)
        print()
        print(text)
        write_results(text)
        (workdir / "results.json").write_text(json.dumps(
            {"hello": hello, "hello_page_sized": hello_big, "databases": dbs, "scale300": scale300, "scale10k": scale10k}, indent=1))
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
