"""``make bench``: the portal's performance, measured from another process.

Starts the portal with production.ini (waitress, the same settings as production, every
first-party plugin) and loads it with wrk (Debian's ``wrk``; bench/load.py when it is not
installed). How readers browse is measured in interleaved rounds (``wrk -t1 -c16``), each
round running every system once, and reported as medians of per-round ratios against the
baselines measured in the same round: a minimal Pyramid + waitress hello world
(bench/hello.py), the same answering a page-sized body, and nginx serving a saved copy of
the portal's page (the physical limit). The portal's scenarios: a page view with no reader
state, a reader session (ten pages with the cookies a browser would send), a section
listing, and a page rendered for a reader with a comment waiting for a moderator. Then: CPU
per request in process (bench/cpu.py), start-up (cold and warm content cache) and memory
with the first-party plugins and with 300 generated sections (bench/generate.py), comment
posts and rating puts and the first page of a 10,000-comment discussion on SQLite and
PostgreSQL, and search (bench/search/: relevance against lunr, latency at 10,000 pages).

Results are printed and written to bench/RESULTS.md (between the markers; the analysis
below them is kept).

Environment: BENCH_ROUNDS (interleaved rounds, default 7), BENCH_DURATION (seconds per load
run, default 5), BENCH_CONNECTIONS (16), BENCH_POSTGRES_URL (server to create a throw-away
database on; default the local one), BENCH_LOADGEN=python to use bench/load.py even when
wrk is installed, BENCH_SKIP_SEARCH=1 to leave search out.
"""

import datetime
import json
import os
import platform
import re
import shutil
import statistics
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
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
DURATION = float(os.environ.get("BENCH_DURATION", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
WRK = None if os.environ.get("BENCH_LOADGEN") == "python" else shutil.which("wrk")
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
# A reader with a comment waiting for a moderator: their pages are drawn for them
# (portal.http.caching.READER_STATE), never taken from the page cache.
PENDING_COOKIE = "portal_pending=1"
# What a browser sends besides: the site's analytics cookie (no reader state) and encodings.
BROWSER_HEADERS = {"Cookie": "_ga=GA1.2.1234567890.1700000000", "Accept-Encoding": "gzip, br"}

TARGETS = {
    "page_ratio": 0.8, "page_p99_ratio": 2.0, "session_ratio": 0.7, "rendered_cpu_ms": 3.5,
    "rendered_gain": 3.0, "startup_s": 1.5, "startup_300_s": 5.0, "rss_mb": 120,
    "rss_300_mb": 150, "thread_ms": 20, "search_p95_ms": 10, "search_p99_ms": 25,
}
# The measurement before this work (the same machine, the same wrk rounds): a page
# rendered for a reader ran at 0.032 x the hello world.
RENDERED_BEFORE = 0.032


# -- processes ---------------------------------------------------------------------------

def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url, timeout=10, headers=None):
    """``(status, text, headers)``; the body is read as sent (no decompression)."""
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
        time.sleep(0.01)


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """A server process; ``startup_s`` is the time from its start to ``ready_path``'s 200."""

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
        # One client sends every comment and rating: lift the per-client limits kept for readers.
        "PORTAL_COMMENTS_RATE_LIMIT": "1000000000",
        "PORTAL_COMMENTS_MIN_SECONDS": "0",
        "PORTAL_RATINGS_RATE_LIMIT": "1000000000",
        "PORTAL_RATINGS_READER_LIMIT": "1000000000",
    })
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath)] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def production_ini(workdir, port, cache_dir=None):
    """production.ini listening on ``port``; its content cache in ``cache_dir`` (a fresh
    one by default: the first start is cold)."""
    text = (ROOT / "production.ini").read_text()
    text = re.sub(r"^listen = .*$", f"listen = 127.0.0.1:{port}", text, flags=re.M)
    cache = cache_dir or Path(workdir) / f"content-cache-{port}"
    text = re.sub(r"^portal\.content\.cache_dir = .*$", f"portal.content.cache_dir = {cache}",
                  text, flags=re.M)
    ini = Path(workdir) / f"production-{port}.ini"
    ini.write_text(text)
    return ini


def start_portal(workdir, database_url, pythonpath=None, name="portal", cache_dir=None):
    port = free_port()
    ini = production_ini(workdir, port, cache_dir)
    env = portal_env(database_url, pythonpath)
    log = open(Path(workdir) / f"{name}.log", "ab")
    server = Server([str(BIN / "pserve"), str(ini)], env, port, log)
    server.ini = ini
    return server


def start_hello(workdir, body_bytes=None):
    port = free_port()
    argv = [sys.executable, str(HERE / "hello.py"), str(port)] + ([str(body_bytes)] if body_bytes else [])
    return Server(argv, dict(os.environ), port, open(Path(workdir) / "hello.log", "ab"), ready_path="/")


def start_nginx(workdir, pages):
    """nginx serving ``pages`` ({path: html}) as static files, as a static site host would:
    the physical limit of answering these bytes on this machine."""
    root = Path(workdir) / "nginx"
    for path, html in pages.items():
        target = root / "site" / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    port = free_port()
    conf = root / "nginx.conf"
    conf.write_text(f"""
user root;
worker_processes auto;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    default_type text/html;
    sendfile on;
    keepalive_requests 1000000;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    server {{ listen 127.0.0.1:{port}; root {root}/site; }}
}}
""")
    (root / "tmp").mkdir(exist_ok=True)
    first = next(iter(pages))
    return Server([NGINX, "-c", str(conf), "-p", str(root)], dict(os.environ), port,
                  open(root / "nginx.log", "ab"), ready_path=first)


def migrate(workdir, database_url):
    ini = production_ini(workdir, 0)
    subprocess.run([str(BIN / "portal"), "db", "upgrade", str(ini)], env=portal_env(database_url),
                   check=True, capture_output=True)


# -- load --------------------------------------------------------------------------------

def load(url, connections=CONNECTIONS, duration=DURATION, method="GET", body=None, ctype=None,
         headers=None, paths=None, stamps=None):
    """Run the load generator in its own process; the summary as a dict. ``paths``: take
    these paths in turn instead of ``url``'s (on the same server)."""
    headers = dict(headers or {}, **({"Content-Type": ctype} if ctype else {}))
    if WRK:
        env = dict(os.environ, BENCH_METHOD=method,
                   BENCH_HEADERS="|".join(f"{k}: {v}" for k, v in headers.items()))
        if paths:
            env["BENCH_PATHS"] = " ".join(paths)
        if stamps:
            env["BENCH_STAMPS_FILE"] = str(stamps)
        if body is not None:
            env["BENCH_BODY"] = body
        argv = [WRK, "-t", "1", "-c", str(connections), "-d", f"{int(round(duration))}s",
                "--timeout", "10s", "-s", str(HERE / "report.lua"), url]
    else:
        env = dict(os.environ)
        argv = [sys.executable, str(HERE / "load.py"), url, "--connections", str(connections),
                "--duration", str(duration), "--method", method]
        if body is not None:
            argv += ["--body", body]
        for name, value in headers.items():
            argv += ["--header", f"{name}: {value}"]
        if paths:
            argv += ["--paths", " ".join(paths)]
        if stamps:
            argv += ["--stamps-file", str(stamps)]
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


def check_status(url, method="GET", body=None, ctype=None, headers=None, expect=(200, 201),
                 stamps=None):
    if body and stamps:
        body = body.replace("{stamp}", stamp_of(url.split("/api/")[0]))
    data = body.replace("{n}", "check").encode() if body else None
    headers = dict(headers or {}, **({"Content-Type": ctype} if ctype else {}))
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            status = resp.status
            text = resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode("utf-8", "replace")
    if status not in expect:
        raise RuntimeError(f"{method} {url} answered {status}: {text[:300]}")


def median(values):
    return statistics.median(values) if values else float("nan")


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


# -- pages -------------------------------------------------------------------------------

def site_paths(base, count=10):
    """A section and ``count`` pages of the running portal, as a reader would click through
    them (the guide first, then other sections' pages from the home page's navigation)."""
    home = get(base + "/")[1]
    sections = re.findall(r'<nav class="site-nav".*?</nav>', home, re.S)
    sections = re.findall(r'href="https?://[^/"]+(/[^"/]+/)"', sections[0] if sections else home)
    sections = list(dict.fromkeys(["/guide/"] + sections))
    pages = []
    for section in sections:
        if get(base + section)[0] != 200:
            continue
        html = get(base + section)[1]
        pages += [p for p in re.findall(r'class="card__title"><a href="https?://[^/]+(/[^"]+)"', html)
                  if p not in pages][:3]
        if len(pages) >= count:
            break
    return sections[0], pages[:count]


def reader_cookies(base, pages):
    """What a browser holds after reading ``pages`` in turn: the cookies the portal set."""
    jar = {}
    for path in pages:
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        _, _, headers = get(base + path, headers={"Cookie": cookie} if cookie else {})
        for value in headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def page_checks(base, page):
    """What the targets rest on, checked before measuring: an anonymous GET sets no cookie,
    two anonymous answers are byte-identical with one ETag, and a revalidation answers 304."""
    s1, body1, h1 = get(base + page)
    s2, body2, h2 = get(base + page)
    etag = h2.get("ETag")
    s304 = get(base + page, headers={"If-None-Match": etag or '""'})[0]
    return {"sets_cookie": bool(h1.get_all("Set-Cookie") or h2.get_all("Set-Cookie")),
            "identical": body1 == body2 and h1.get("ETag") == etag and etag is not None,
            "revalidation": s304, "cache_control": h2.get("Cache-Control"),
            "status": (s1, s2)}


# -- how readers browse: interleaved rounds ------------------------------------------------

def measure_reading(workdir, database_url):
    """Every system in every round, one after another (so a slow moment of the shared
    machine falls on all of them alike); medians of the per-round ratios."""
    migrate(workdir, database_url)
    portal = start_portal(workdir, database_url, name="portal-reading")
    servers = [portal]
    try:
        base = portal.url
        section, pages = site_paths(base)
        page = pages[0]
        jar = reader_cookies(base, pages)
        checks = page_checks(base, page)
        checks["reader_cookies"] = sorted(jar)
        html = get(base + page)[1]
        size = len(html.encode())
        print(f"[reading] page {page} ({size} bytes), section {section}, {len(pages)} pages a session; "
              f"checks {checks}")
        commented = pages[1]
        add_discussion(database_url, base, commented)
        hello = start_hello(workdir)
        servers.append(hello)
        hello_big = start_hello(workdir, size)
        servers.append(hello_big)
        nginx = start_nginx(workdir, {page: html}) if NGINX else None
        if nginx:
            servers.append(nginx)
        session_headers = dict(BROWSER_HEADERS)
        if jar:
            session_headers["Cookie"] += "; " + "; ".join(f"{k}={v}" for k, v in jar.items())
        systems = {
            "hello world": (hello.url + "/", {}),
            "hello world, page-sized": (hello_big.url + "/", {}),
            "portal page view, no reader state": (base + page, {}),
            "portal reader session (10 pages)": (base + page, {"paths": pages, "headers": session_headers}),
            "portal section listing": (base + section, {}),
            "portal page rendered for a reader": (base + page, {"headers": {"Cookie": PENDING_COOKIE}}),
            "portal page with 30 comments rendered for a reader": (
                base + commented, {"headers": {"Cookie": PENDING_COOKIE}}),
        }
        if nginx:
            systems["nginx, the saved page"] = (nginx.url + page, {})
        for url, kw in systems.values():
            check_status(url, headers=kw.get("headers"))
            for _ in range(30):
                get(url, headers=kw.get("headers"))
        rounds = {name: [] for name in systems}
        for n in range(ROUNDS):
            for name, (url, kw) in systems.items():
                rounds[name].append(load(url, **kw))
            line = "  ".join(f"{name.split(',')[0][:18]} {rounds[name][-1]['rps']:.0f}" for name in systems)
            print(f"[reading] round {n + 1}/{ROUNDS}: {line}")
        results = {"page": page, "commented": commented, "page_bytes": size, "checks": checks,
                   "rounds": rounds,
                   "rss_after_load_mb": portal.rss_mb, "startup_s": portal.startup_s}
    finally:
        for server in servers:
            server.stop()
    results["summary"] = summarize(rounds)
    return results


def add_discussion(database_url, base, path, count=30):
    """``count`` approved comments on ``path``, written to the database as another process
    would; returns once the running portal shows them (it reads which pages have a
    discussion every ``portal.discussion.refresh_seconds``)."""
    insert_comments(database_url, path.strip("/"), count, threaded=False)
    deadline = time.monotonic() + 30
    shown = f'<span class="comments__count">({count})</span>'
    while shown not in get(base + path, headers={"Cookie": PENDING_COOKIE})[1]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the portal does not show the comments added to {path}")
        time.sleep(0.5)


def summarize(rounds):
    """Per system: median req/s and p99, and medians of the per-round ratios to the hello
    world and to nginx."""
    hello = rounds["hello world"]
    nginx = rounds.get("nginx, the saved page")
    out = {}
    for name, runs in rounds.items():
        out[name] = {
            "rps": median([r["rps"] for r in runs]),
            "p99_ms": median([r["p99_ms"] for r in runs]),
            "x_hello": median([r["rps"] / h["rps"] for r, h in zip(runs, hello, strict=True)]),
            "p99_x_hello": median([r["p99_ms"] / h["p99_ms"] for r, h in zip(runs, hello, strict=True)]),
            "x_nginx": median([r["rps"] / g["rps"] for r, g in zip(runs, nginx, strict=True)]) if nginx else None,
            "errors": sum(r["non_2xx_3xx"] + r["socket_errors"] for r in runs),
        }
    return out


def measure_cpu(workdir, database_url, page, commented):
    """CPU per request in process (bench/cpu.py) for an anonymous reader and a pending one,
    on ``page`` and on ``commented`` (a page with comments)."""
    ini = production_ini(workdir, 0)
    run = subprocess.run([sys.executable, str(HERE / "cpu.py"), str(ini), page, commented],
                         env=portal_env(database_url), capture_output=True, text=True, cwd=str(ROOT))
    line = next((out for out in run.stdout.splitlines() if out.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"bench/cpu.py failed: {run.stderr[-800:]}")
    result = json.loads(line[len("BENCH_JSON "):])
    print(f"[cpu] in process, per request: anonymous {result['anonymous']:.2f} ms, "
          f"pending reader (rendered) {result['pending']:.2f} ms, on a page with comments "
          f"{result['pending_commented']:.2f} ms")
    return result


def measure_startup(workdir, database_url, pythonpath=None, label="first-party", load_paths=None):
    """Start-up to the first answer with an empty content cache (cold) and again with the
    cache the first start wrote (warm), median of three warm starts; resident memory of the
    last warm start (as a container built with the cache starts) after ``load_paths`` are
    read by browsers (compressed) and rendered for readers with state."""
    cache = Path(workdir) / f"content-cache-{label}"
    shutil.rmtree(cache, ignore_errors=True)
    cold = start_portal(workdir, database_url, pythonpath, name=f"start-{label}", cache_dir=cache)
    result = {"cold_s": cold.startup_s}
    cold.stop()
    warm = []
    for n in range(3):
        server = start_portal(workdir, database_url, pythonpath, name=f"start-{label}", cache_dir=cache)
        warm.append(server.startup_s)
        if n < 2:
            server.stop()
    try:
        result["warm_s"] = median(warm)
        result["rss_start_mb"] = server.rss_mb
        if load_paths is None:
            section, load_paths = site_paths(server.url)
            load_paths = [section] + load_paths
        load(server.url + load_paths[0], paths=load_paths, duration=DURATION, headers=BROWSER_HEADERS)
        load(server.url + load_paths[0], paths=load_paths, duration=DURATION,
             headers={"Cookie": PENDING_COOKIE})
        result["rss_after_load_mb"] = server.rss_mb
    finally:
        server.stop()
    print(f"[start-up {label}] cold {result['cold_s']:.2f}s, warm {result['warm_s']:.2f}s; RSS "
          f"{result['rss_start_mb']:.0f} MB at start, {result['rss_after_load_mb']:.0f} MB after load")
    return result


def measure_scale(workdir, sections, pages, label):
    """Start-up and memory with a generated plugin of ``sections`` x ``pages``."""
    dest = Path(workdir) / f"gen-{label}"
    _, names = generate.generate(dest, sections=sections, pages=pages)
    db = Path(workdir) / f"scale-{label}.sqlite"
    url = f"sqlite:///{db}"
    migrate(workdir, url)
    # The generated sections' listings, spread over the site.
    paths = [f"/{name}/" for name in names[::max(1, sections // 20)]]
    result = measure_startup(workdir, url, pythonpath=dest, label=label, load_paths=paths)
    result.update(sections=sections, pages=sections * (pages + 1))
    return result


# -- writing and the discussion, per database ----------------------------------------------

def stamp_of(base):
    return json.loads(get(base + "/api/v1/csrf")[1])["stamp"]


def measure_database(label, workdir, database_url):
    """Comment posts and rating puts (each request a new reader), then the first page of a
    10,000-comment discussion, rendered for a reader every time, in a fresh process."""
    results = {"label": label}
    migrate(workdir, database_url)
    server = start_portal(workdir, database_url, name=f"portal-{label}")
    try:
        base = server.url
        section, pages = site_paths(base, 1)
        page = pages[0]
        key = page.strip("/")
        comment = json.dumps({"body": "Benchmark comment {n}: measuring the write path.",
                              "name": "bench", "stamp": "{stamp}"})
        # Each comment spends a stamp, as each reader's form fetches one: minted beforehand.
        stamps = Path(workdir) / f"stamps-{label}.txt"
        stamps.write_text("\n".join(stamp_of(base) for _ in range(int(600 * DURATION))))
        runs = {
            "comment post": (f"{base}/api/v1/pages/{key}/comments",
                             {"method": "POST", "body": comment, "ctype": "application/json",
                              "stamps": stamps}),
            "rating put": (f"{base}/api/v1/pages/{key}/rating/mine",
                           {"method": "PUT", "body": '{"stars": 4}', "ctype": "application/json"}),
        }
        for name, (url, kw) in runs.items():
            check_status(url, **kw)
            results[name] = r = load(url, **kw)
            print(f"[{label}] {name:16} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.1f} ms  "
                  f"p99 {r['p99_ms']:6.1f} ms  non-2xx {r['non_2xx_3xx']}  errors {r['socket_errors']}")
    finally:
        server.stop()

    thread_key = key
    flat_key = section.strip("/")
    insert_comments(database_url, flat_key, 10_000, threaded=False)
    root_id = insert_comments(database_url, thread_key, 10_000, threaded=True)
    server = start_portal(workdir, database_url, name=f"portal-{label}-comments")
    try:
        base = server.url
        pending = {"Cookie": PENDING_COOKIE}
        for name, url in (
            ("10,000 top-level comments: page", f"{base}/{flat_key}/"),
            ("10,000-comment thread: page", f"{base}/{thread_key}/"),
            ("10,000-comment thread: thread view", f"{base}/{thread_key}/?thread={root_id}"),
            ("10,000 comments: API first page", f"{base}/api/v1/pages/{flat_key}/comments"),
        ):
            check_status(url, headers=pending)
            for _ in range(20):
                get(url, headers=pending)
            # Rendered from the database every time, not a kept page.
            results[name] = r = load(url, connections=1, duration=DURATION, headers=pending)
            print(f"[{label}] {name:38} p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  "
                  f"p99 {r['p99_ms']:6.1f} ms")
    finally:
        server.stop()
    return results


# -- search --------------------------------------------------------------------------------

def measure_search():
    """Relevance on the judged queries against lunr, and latency at 10,000 pages
    (bench/search/); None where that part is not there."""
    if os.environ.get("BENCH_SKIP_SEARCH"):
        return None
    sys.path.insert(0, str(HERE / "search"))
    out = {}
    try:
        import score
        out["relevance"] = score.score()
    except ImportError as exc:
        print(f"search relevance not measured: {exc}")
    try:
        import speed
        out["speed"] = speed.measure()
    except ImportError as exc:
        print(f"search speed not measured: {exc}")
    return out


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


def target(lines, what, figure, ok):
    lines.append(f"| {what} | {figure} | {verdict(ok)} |")


def report(m, reading, cpu, first_party, scale300, dbs, search):
    s = reading["summary"]
    checks = reading["checks"]
    lines = [
        f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores, {m['memory_gb']} GB), {m['os']}, "
        f"Python {m['python']}; load from another process with {m['loadgen']} "
        f"(`-t1 -c{CONNECTIONS}`, {DURATION:g} s a run); load average {m['loadavg']} at the end. "
        f"**{ROUNDS} interleaved rounds**: each round runs every system once, one after another, "
        "and the table gives medians of the per-round figures and ratios, so a busy moment of the "
        "shared machine falls on all of them alike. The portal runs production.ini (waitress, "
        "8 threads, one process, SQLite) with every first-party plugin.",
        "",
        f"The page: `{reading['page']}`, {reading['page_bytes']:,} bytes. Before measuring: an "
        f"anonymous GET sets a cookie: **{'yes' if checks['sets_cookie'] else 'no'}**; two anonymous "
        f"answers byte-identical with one ETag: **{'yes' if checks['identical'] else 'no'}**; "
        f"revalidation with `If-None-Match` answers **{checks['revalidation']}**; Cache-Control "
        f"`{checks['cache_control']}`; cookies a browser holds after ten pages: "
        f"{', '.join(checks['reader_cookies']) or 'none'}.",
        "",
        "| System | req/s | p99 ms | × hello world | p99 × hello's | × nginx | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in s.items():
        xn = f"{r['x_nginx']:.3f}" if r["x_nginx"] is not None else "n/a"
        lines.append(f"| {name} | {r['rps']:.0f} | {r['p99_ms']:.1f} | {r['x_hello']:.2f} | "
                     f"{r['p99_x_hello']:.2f} | {xn} | {r['errors']} |")
    lines += [
        "",
        "\"reader session\": ten pages of several sections taken in turn, with what a browser "
        "sends after reading them: the cookies the portal set (none), the site's analytics "
        "cookie and `Accept-Encoding: gzip, br` (so the portal answers compressed). \"rendered "
        "for a reader\": the same page for a reader with a comment waiting for a moderator "
        "(`portal_pending`), drawn for them every time; the page has no comment nor rating, so "
        "it asks the database nothing (portal.discussion.activity). \"with 30 comments\": "
        f"`{reading['commented']}`, 30 comments written to the database before the rounds, the "
        "same reader: its discussion read from the database every time.",
        "",
        f"CPU per request in process (bench/cpu.py, the WSGI application called directly, median "
        f"of five batches of 100): anonymous (page cache) **{cpu['anonymous']:.2f} ms**, rendered "
        f"for a pending reader **{cpu['pending']:.2f} ms**, and on the page with 30 comments "
        f"**{cpu['pending_commented']:.2f} ms**.",
        "",
        "| Start-up to the first answer, memory (warm start) | pages | cold s | warm s | RSS at start MB | RSS after load MB |",
        "|---|---:|---:|---:|---:|---:|",
        f"| first-party plugins | | {first_party['cold_s']:.2f} | {first_party['warm_s']:.2f} | "
        f"{first_party['rss_start_mb']:.0f} | {first_party['rss_after_load_mb']:.0f} |",
        f"| 300 generated sections | {scale300['pages']} | {scale300['cold_s']:.2f} | "
        f"{scale300['warm_s']:.2f} | {scale300['rss_start_mb']:.0f} | {scale300['rss_after_load_mb']:.0f} |",
        "",
        "Cold: an empty content cache (every page parsed); warm: the cache the first start wrote "
        "(`portal content cache`, which the Docker image runs at build time). The server of the "
        f"reading rounds above (a cold start) held {reading['rss_after_load_mb']:.0f} MB after them.",
        "",
        "| Database | Request | req/s | p50 ms | p95 ms | p99 ms | non-2xx |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for res in dbs:
        for name, r in res.items():
            if isinstance(r, dict):
                lines.append(f"| {res['label']} | {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
                             f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['non_2xx_3xx'] + r['socket_errors']} |")
    lines += ["", "Comment posts and rating puts: 16 connections, each request a new reader (an "
              "INSERT). The 10,000-comment rows: one connection, rendered for a reader every time."]
    lines += search_report(search)

    page = s["portal page view, no reader state"]
    session = s["portal reader session (10 pages)"]
    rendered = s["portal page rendered for a reader"]
    threads = [r["p50_ms"] for res in dbs for n, r in res.items() if n.startswith("10,000")
               and "API" not in n]
    lines += ["", "| Target | Measured | |", "|---|---|---|"]
    target(lines, "page view, no reader state, >= 0.8 x hello world", f"{page['x_hello']:.3f} x",
           page["x_hello"] >= TARGETS["page_ratio"])
    target(lines, "its p99 <= 2 x the hello world's", f"{page['p99_x_hello']:.3f} x",
           page["p99_x_hello"] <= TARGETS["page_p99_ratio"])
    target(lines, "a revalidation answers 304", str(checks["revalidation"]), checks["revalidation"] == 304)
    target(lines, "reader session >= 0.7 x hello world", f"{session['x_hello']:.3f} x",
           session["x_hello"] >= TARGETS["session_ratio"])
    target(lines, "rendered page <= 3.5 ms CPU in process", f"{cpu['pending']:.2f} ms",
           cpu["pending"] <= TARGETS["rendered_cpu_ms"])
    target(lines, "the same with 30 comments on the page", f"{cpu['pending_commented']:.2f} ms",
           cpu["pending_commented"] <= TARGETS["rendered_cpu_ms"])
    gain = rendered["x_hello"] / RENDERED_BEFORE
    target(lines, f"rendered page 3 x its throughput before ({RENDERED_BEFORE} x hello world)",
           f"{rendered['x_hello']:.3f} x hello world = {gain:.1f} x before", gain >= TARGETS["rendered_gain"])
    target(lines, "start-up < 1.5 s, first-party plugins (warm cache)", f"{first_party['warm_s']:.2f} s",
           first_party["warm_s"] < TARGETS["startup_s"])
    target(lines, "start-up < 5 s, 300 sections (warm cache)", f"{scale300['warm_s']:.2f} s",
           scale300["warm_s"] < TARGETS["startup_300_s"])
    rss = first_party["rss_after_load_mb"]
    target(lines, "RSS < 120 MB after load, first-party plugins (warm start)", f"{rss:.0f} MB",
           rss < TARGETS["rss_mb"])
    target(lines, "RSS < 150 MB after load, 300 sections", f"{scale300['rss_after_load_mb']:.0f} MB",
           scale300["rss_after_load_mb"] < TARGETS["rss_300_mb"])
    target(lines, "10,000-comment first page < 20 ms (p50, slowest case, every database)",
           f"{max(threads):.1f} ms", max(threads) < TARGETS["thread_ms"])
    speed = (search or {}).get("speed", {}).get("all")
    if speed:
        target(lines, "search p95 < 10 ms at 10,000 pages (one connection)", f"{speed['p95_ms']:.1f} ms",
               speed["p95_ms"] < TARGETS["search_p95_ms"])
        target(lines, "search p99 < 25 ms at 10,000 pages (one connection)", f"{speed['p99_ms']:.1f} ms",
               speed["p99_ms"] < TARGETS["search_p99_ms"])
    relevance = (search or {}).get("relevance")
    if relevance:
        portal, lunr = relevance["engines"]["portal"], relevance["engines"]["lunr"]
        target(lines, "search success@3 >= 0.97 on the judged queries", f"{portal['success@3']:.3f}",
               portal["success@3"] >= 0.97)
        target(lines, "search success@3 ahead of lunr by >= 0.10",
               f"{portal['success@3'] - lunr['success@3']:+.3f}", portal["success@3"] - lunr["success@3"] >= 0.10)
    return "\n".join(lines)


def search_report(search):
    if not search:
        return ["", "Search: not measured in this run (BENCH_SKIP_SEARCH)."]
    import score
    import speed

    lines = []
    if "relevance" in search:
        lines += ["", "Search relevance: the portal and lunr (configured as MkDocs configures it) on "
                  "the same pages in the same run (bench/search/score.py).", "",
                  score.table(search["relevance"])]
    if "speed" in search:
        lines += ["", speed.report(search["speed"])]
    return lines


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
    print(f"load generator: {WRK or 'bench/load.py (wrk not installed)'}; nginx: {NGINX or 'not installed'}")
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    try:
        sqlite = f"sqlite:///{workdir}/bench.sqlite"
        reading = measure_reading(workdir, sqlite)
        cpu = measure_cpu(workdir, sqlite, reading["page"], reading["commented"])
        first_party = measure_startup(workdir, sqlite)
        scale300 = measure_scale(workdir, 300, 5, "300-sections")
        dbs = [measure_database("SQLite", workdir, f"sqlite:///{workdir}/bench-writes.sqlite")]
        pg_url, drop = postgres_database()
        if pg_url:
            try:
                dbs.append(measure_database("PostgreSQL", workdir, pg_url))
            finally:
                drop()
        search = measure_search()
        text = report(machine(), reading, cpu, first_party, scale300, dbs, search)
        print()
        print(text)
        write_results(text)
        (workdir / "results.json").write_text(json.dumps(
            {"reading": reading, "cpu": cpu, "first_party": first_party, "scale300": scale300,
             "databases": dbs, "search": search}, indent=1, default=str))
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
