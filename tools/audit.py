"""``make audit``: Lighthouse (tools/audit/node_modules, Debian's Chromium) on the home page, a
page, search results and the insights page, as a phone and as a desktop; prints the four
scores of each and writes them to bench/AUDIT.md.

The portal runs as in production (pserve, no debug toolbar, the page cache on) over a fresh
SQLite database with a moderator, some comments and ratings, so the insights page has figures
and the pages have discussions. Search results and the insights page are ``noindex`` on
purpose (a results page is not a document to list in a search engine; insights are for
moderators), so their SEO score counts that against them; the table says so.
"""

import datetime
import http.cookiejar
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "tools" / "audit" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
RESULTS = ROOT / "bench" / "AUDIT.md"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
NOINDEX = ("search", "insights")  # <meta name="robots" content="noindex"> on purpose
PAGES = [
    ("home", "/", False),
    ("page", "/django/orm/", False),
    ("search", "/@@search?q=database+migrations", False),
    ("insights", "/-/insights/", True),
]
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")


def seed(settings, password):
    """A moderator, comments and ratings, through the models."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from portal.discussion.models import Comment, Rating
    from portal.moderation.models import Moderator
    from portal.moderation.passwords import hash_password

    engine = create_engine(settings["sqlalchemy.url"])
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    with Session(engine) as s:
        s.add(Moderator(name="audit", password_hash=hash_password(password)))
        for n, key in enumerate(["django/orm", "django", "guide/faq", "flask/testing"] * 5):
            c = Comment(page_key=key, author_name=f"Reader {n}", state="approved",
                        body_source="Clear and *useful*, thank you.",
                        body_html="<p>Clear and <em>useful</em>, thank you.</p>",
                        created_at=now - datetime.timedelta(days=n), updated_at=now)
            s.add(c)
            s.flush()
            c.root_id = c.id
            s.add(Rating(page_key=key, reader_key=f"audit-{n}", stars=1 + n % 5,
                         created_at=now - datetime.timedelta(days=n), updated_at=now))
        s.commit()
    engine.dispose()


def log_in(base, password):
    """The moderator's cookies, after logging in as a browser does."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = json.load(opener.open(base + "/api/v1/csrf"))["csrf_token"]
    data = urllib.parse.urlencode({"csrf_token": token, "name": "audit", "password": password,
                                   "came_from": "/-/moderation/"}).encode()
    opener.open(base + "/-/moderation/@@login", data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def lighthouse(url, form_factor, cookie=None):
    args = [str(LIGHTHOUSE), url, "--quiet", "--output=json", "--output-path=stdout",
            f"--chrome-flags={CHROME_FLAGS}", "--only-categories=" + ",".join(CATEGORIES)]
    if form_factor == "desktop":
        args.append("--preset=desktop")
    if cookie:
        args.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    run = subprocess.run(args, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "CHROME_PATH": CHROMIUM})
    if run.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}: {run.stderr[-800:]}")
    report = json.loads(run.stdout)
    scores = {name: round((report["categories"][name]["score"] or 0) * 100) for name in CATEGORIES}
    misses = [f"{report['audits'][ref['id']]['title']}"
              for name in CATEGORIES[1:] for ref in report["categories"][name]["auditRefs"]
              if ref["weight"] and (report["audits"][ref["id"]]["score"] or 0) < 1]
    return scores, misses


def main():
    if not LIGHTHOUSE.exists():
        sys.exit("lighthouse is not installed: run `make audit` (it runs npm ci in tools/audit)")
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from portal.testing import free_port, migrate, wait_for_http, write_ini

    tmp = Path(tempfile.mkdtemp(prefix="portal-audit-"))
    password = secrets.token_urlsafe(16)
    settings = {"sqlalchemy.url": f"sqlite:///{tmp / 'portal.sqlite'}"}
    migrate(settings)
    seed(settings, password)
    port = free_port()
    ini = write_ini(tmp / "audit.ini", port, settings["sqlalchemy.url"],
                    **{"portal.page_cache.seconds": "5"})
    server = subprocess.Popen([str(Path(sys.executable).with_name("pserve")), str(ini)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        wait_for_http(base + "/healthz", timeout=60, process=server)
        cookie = log_in(base, password)
        for name, path, private in PAGES:
            for form_factor in ("mobile", "desktop"):
                scores, misses = lighthouse(base + path, form_factor, cookie if private else None)
                rows.append((name, path, form_factor, scores, misses))
                print(f"{name:9} {form_factor:8} " + "  ".join(
                    f"{c} {scores[c]:3}" for c in CATEGORIES), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    write_results(rows)
    low = [(n, f, c, s[c]) for n, _, f, s, _ in rows for c in CATEGORIES[1:]
           if s[c] < 95 and not (n in NOINDEX and c == "seo")]
    if low:
        print("below 95:", low, file=sys.stderr)
        return 1
    return 0


def write_results(rows):
    version = json.loads((ROOT / "tools" / "audit" / "package.json").read_text())["devDependencies"]["lighthouse"]
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    lines = [
        "# Lighthouse audit",
        "",
        f"`make audit` (tools/audit.py), {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, "
        f"Lighthouse {version}, {chromium}, {platform.platform()}. The portal as in production "
        "(pserve, page cache on, no debug toolbar) over SQLite with seeded comments and ratings.",
        "",
        "| Page | URL | Device | Performance | Accessibility | Best practices | SEO |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for name, path, form_factor, scores, _ in rows:
        lines.append(f"| {name} | `{path}` | {form_factor} | " + " | ".join(str(scores[c]) for c in CATEGORIES) + " |")
    lines += ["", "Search results and the insights page carry `<meta name=\"robots\" content=\"noindex\">` "
              "on purpose (a results page is not a document for a search engine to list; insights "
              "are for moderators), which Lighthouse's SEO category counts against them (its "
              "\"Page is blocked from indexing\" audit). Audits below full marks:", ""]
    for name, _, form_factor, _, misses in rows:
        if misses:
            lines.append(f"- {name} ({form_factor}): " + "; ".join(sorted(set(misses))))
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
