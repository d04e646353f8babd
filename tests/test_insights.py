"""Insights for authors and moderators: ``/-/insights/`` (moderators only) and ``portal
insights`` (CSV), with real figures from ratings, comments and missed searches written to
the database, on SQLite and PostgreSQL."""

import csv
import datetime
import io
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
import webtest

from portal.discussion.models import Comment, Rating
from portal.discussion.rating_queries import wilson_lower_bound
from portal.insights import queries
from portal.moderation.models import Moderator
from portal.moderation.passwords import hash_password
from portal.search.models import SearchMiss
from portal.testing import TEST_SECRET, ManualClock

INSIGHTS = "/-/insights/"
PASSWORD = "correct horse battery"
# A Wednesday noon (UTC): its week began on Monday 30 November.
NOW = datetime.datetime(2026, 12, 2, 12, 0)
SVG = "{http://www.w3.org/2000/svg}"

# (page, stars, days before now): five readers find demo/first poor, three like
# demo/second, and one rated the deep page half a year ago.
RATINGS = [
    ("demo/first", 1, 8), ("demo/first", 1, 9), ("demo/first", 2, 1), ("demo/first", 1, 2),
    ("demo/first", 2, 0.1),
    ("demo/second", 5, 15), ("demo/second", 4, 16), ("demo/second", 4, 14),
    ("demo/guide/deep", 3, 180),
]
# (page, state, days before now, text)
COMMENTS = [
    ("demo/first", "approved", 8, "The first example fails on Windows."),
    ("demo/first", "approved", 7, "Which version does this page assume?"),
    ("demo/first", "pending", 1, "Still broken for me."),
    ("demo/first", "hidden", 12, "Buy cheap watches."),
    ("demo/first", "deleted", 3, ""),
    ("demo/second", "approved", 22, "Clear, thank you."),
]
MISSES = [("demo widgets", 3), ("quantum tea", 1), ("guide to demo", 2)]


def week_of(moment):
    day = moment.date()
    return day - datetime.timedelta(days=day.weekday())


def seed(app, now=NOW):
    """The ratings, comments and missed searches above, ``now`` being the time of the test."""
    with app.app.registry["dbsession_factory"]() as s:
        s.add(Moderator(name="mod", password_hash=hash_password(PASSWORD)))
        for i, (key, stars, days) in enumerate(RATINGS):
            moment = now - datetime.timedelta(days=days)
            s.add(Rating(page_key=key, reader_key=f"reader-{i}", stars=stars,
                         created_at=moment, updated_at=moment))
        for key, state, days, text in COMMENTS:
            moment = now - datetime.timedelta(days=days)
            comment = Comment(page_key=key, author_name="Ada", state=state, body_source=text,
                              body_html=f"<p>{text}</p>" if text else "", created_at=moment,
                              updated_at=moment)
            s.add(comment)
            s.flush()
            comment.root_id = comment.id
        for text, count in MISSES:
            s.add(SearchMiss(query=text, count=count,
                             last_seen=now - datetime.timedelta(days=count)))
        s.commit()


def log_in(app, came_from=INSIGHTS):
    answer = app.get(came_from, status=303)
    form = app.get(answer.location).forms["login-form"]
    form["name"] = "mod"
    form["password"] = PASSWORD
    return form.submit(status=303)


@pytest.fixture
def clock():
    return ManualClock(start=NOW.replace(tzinfo=datetime.UTC).timestamp())


@pytest.fixture
def site(demo_app, clock):
    app = demo_app(clock=clock)
    seed(app)
    return app


@pytest.fixture
def moderator(site):
    log_in(site)
    return site


def table_rows(table):
    """A table's body as lists of cell texts."""
    return [[cell.get_text(" ", strip=True) for cell in tr.find_all(["th", "td"])]
            for tr in table.find("tbody").find_all("tr")]


def text_of(page):
    return " ".join(page.html.get_text(" ", strip=True).split())


def figure(page, title):
    caption = page.html.find("figcaption", string=title)
    assert caption is not None, f"no figure {title!r}"
    return caption.find_parent("figure")


# -- who may see it ------------------------------------------------------------------------

def test_readers_are_sent_to_the_login_page_and_moderators_come_back(site):
    reader = webtest.TestApp(site.app, extra_environ={"REMOTE_ADDR": "192.0.2.50"})
    for url in (INSIGHTS, INSIGHTS + "demo/", INSIGHTS + "demo/first/?period=month"):
        answer = reader.get(url, status=303)
        assert "/-/moderation/@@login?came_from=" in answer.location
        assert "Insights" not in answer.text
    back = log_in(site, came_from=INSIGHTS + "demo/?period=month")
    assert back.location == "http://localhost/-/insights/demo/?period=month"
    assert "Insights: Demo" in site.get(back.location).text


def test_the_login_still_refuses_to_send_a_moderator_off_the_backstage(site):
    page = site.get("/-/moderation/@@login", params={"came_from": "/demo/first/"})
    form = page.forms["login-form"]
    form["name"], form["password"] = "mod", PASSWORD
    assert form.submit(status=303).location == "http://localhost/-/moderation/"


def test_the_moderation_screens_link_to_insights(moderator):
    for url in ("/-/moderation/", "/-/moderation/@@searches"):
        tabs = moderator.get(url).html.find("nav", class_="tabs")
        assert tabs.find("a", string="Insights")["href"] == "http://localhost/-/insights/"


# -- the site ------------------------------------------------------------------------------

def test_the_site_page_shows_real_figures(moderator):
    page = moderator.get(INSIGHTS)
    assert page.headers["Cache-Control"] == "no-store"
    text = text_of(page)
    # Eight ratings in the last twelve weeks (the deep page's is half a year old).
    total = 1 + 1 + 2 + 1 + 2 + 5 + 4 + 4
    assert "From 14 Sep 2026 to today, 2 Dec 2026, by week" in text
    assert "8 ratings, mean 2.50 stars" in text
    assert f"Wilson lower bound {wilson_lower_bound(total, 8):.2f}" in text
    assert table_rows(figure(page, "Ratings by stars").table) == [
        ["5 stars", "1", "12 %"], ["4 stars", "2", "25 %"], ["3 stars", "0", "0 %"],
        ["2 stars", "2", "25 %"], ["1 star", "3", "38 %"]]
    trend = table_rows(figure(page, "Ratings per week, with their mean stars").table)
    assert len(trend) == 12 and trend[0][0] == "14 Sep 2026"
    assert [row for row in trend if row[1] != "0"] == [
        ["16 Nov 2026", "3", "4.33"], ["23 Nov 2026", "2", "1.00"], ["30 Nov 2026", "3", "1.67"]]
    # Comments by the week they were written, in their state now; the deleted one is not counted.
    assert "5 comments written: 3 approved, 1 pending, 1 hidden" in text
    weeks = table_rows(figure(page, "Comments per week").table)
    assert [row for row in weeks if row[-1] != "0"] == [
        ["9 Nov 2026", "1", "0", "0", "1"], ["16 Nov 2026", "0", "0", "1", "1"],
        ["23 Nov 2026", "2", "0", "0", "2"], ["30 Nov 2026", "0", "1", "0", "1"]]
    table = page.html.find("table", class_="insights-table")
    # Each section leads to its own insights, in the same window.
    assert table.find("a", string="Demo")["href"] == (
        "http://localhost/-/insights/demo/?period=week&since=2026-09-14")
    [demo] = table_rows(table)
    assert demo == ["Demo", "8", "2.50", f"{wilson_lower_bound(total, 8):.2f}",
                    "3", "2", "0", "2", "1", "3", "1", "1"]


def test_a_site_without_figures_says_so(demo_app, clock):
    app = demo_app(clock=clock)
    with app.app.registry["dbsession_factory"]() as s:
        s.add(Moderator(name="mod", password_hash=hash_password(PASSWORD)))
        s.commit()
    log_in(app)
    text = text_of(app.get(INSIGHTS))
    for said in ("No rating was given or changed since 14 Sep 2026.",
                 "No comment was written since 14 Sep 2026",
                 "No page was rated since 14 Sep 2026.",
                 "No search came back empty since 14 Sep 2026."):
        assert said in text
    assert not app.get(INSIGHTS).html.find("svg", class_="chart")


def test_the_lowest_rated_pages_come_with_their_latest_comments(moderator):
    page = moderator.get(INSIGHTS)
    lowest = page.html.find("ol", class_="insights-lowest").find_all("li", recursive=False)
    assert [li.h3.get_text(strip=True) for li in lowest] == ["First page", "Second page"]
    first = lowest[0]
    assert "5 ratings, mean 1.40" in first.get_text(" ", strip=True)
    comments = [li.find("div", class_="comment__body").get_text(strip=True)
                for li in first.find_all("li", class_="insights-comment")]
    # Newest first; the hidden one was put away by a moderator, the deleted one has no text.
    assert comments == ["Still broken for me.", "Which version does this page assume?",
                        "The first example fails on Windows."]
    assert "pending" in first.find_all("li", class_="insights-comment")[0].get_text()


def test_missed_searches_are_grouped_by_the_section_their_words_name(moderator):
    page = moderator.get(INSIGHTS)
    section = page.html.find("section", attrs={"aria-labelledby": "misses-heading"})
    assert "keeps only what the reader typed" in section.get_text(" ", strip=True)
    groups = {h3.get_text(" ", strip=True): table_rows(h3.find_next("table"))
              for h3 in section.find_all("h3")}
    assert groups == {
        "Demo (2)": [["demo widgets", "3", "29 Nov 2026"], ["guide to demo", "2", "30 Nov 2026"]],
        "No section (1)": [["quantum tea", "1", "1 Dec 2026"]],
    }


def test_every_chart_is_svg_with_a_title_a_description_and_its_table(moderator):
    for url in (INSIGHTS, INSIGHTS + "demo/", INSIGHTS + "demo/first/?period=month"):
        page = moderator.get(url)
        figures = page.html.find_all("figure", class_="insights-figure")
        assert len(figures) == 3, url
        for fig in figures:
            svg = ET.fromstring(str(fig.find("svg")))  # well-formed XML, or this raises
            assert svg.tag == SVG + "svg" and svg.get("role") == "img"
            labels = svg.get("aria-labelledby").split()
            assert [svg.find(SVG + "title").get("id"), svg.find(SVG + "desc").get("id")] == labels
            assert svg.find(SVG + "desc").text.strip()
            # Coloured by the stylesheet's custom properties, never by fixed colours.
            colours = {el.get(name) for el in svg.iter() for name in ("fill", "stroke")}
            assert colours <= {None, "currentColor", "none"}
            assert not list(svg.iter(SVG + "script"))
            assert fig.find("table").find("tbody").find_all("tr")
        assert "cdn" not in page.text.lower()


# -- a section and a page ------------------------------------------------------------------

def test_a_section_lists_every_page_and_a_page_has_its_own_figures(moderator):
    section = moderator.get(INSIGHTS + "demo/")
    rows = {row[0]: row for row in table_rows(section.html.find("table", class_="insights-table"))}
    assert list(rows) == ["Demo (landing page)", "First page", "Second page", "Guide",
                          "Deep page"]
    assert rows["First page"][1:4] == ["5", "1.40", f"{wilson_lower_bound(7, 5):.2f}"]
    assert rows["Second page"][1:3] == ["3", "4.33"]
    assert rows["Deep page"][1:3] == ["0", "–"]  # rated before the window
    page = moderator.get(INSIGHTS + "demo/first/")
    text = text_of(page)
    assert "Insights: First page" in text and "5 ratings, mean 1.40 stars" in text
    assert "4 comments written: 2 approved, 1 pending, 1 hidden" in text
    latest = [li.find("div", class_="comment__body").get_text(strip=True)
              for li in page.html.find_all("li", class_="insights-comment")]
    assert latest[0] == "Still broken for me."
    moderator.get(INSIGHTS + "demo/nothing-here/", status=404)


def test_since_and_period_change_the_window(moderator):
    year = moderator.get(INSIGHTS, params={"since": "2026-01-01", "period": "month"})
    text = text_of(year)
    assert "9 ratings, mean 2.56 stars" in text  # the deep page's rating is in
    months = table_rows(figure(year, "Ratings per month, with their mean stars").table)
    assert months[0][0] == "January 2026" and months[-1][0] == "December 2026"
    assert [row for row in months if row[1] != "0"] == [
        ["June 2026", "1", "3.00"], ["November 2026", "6", "2.67"],
        ["December 2026", "2", "2.00"]]
    # The first period starts at "since", which need not be a Monday.
    partial = moderator.get(INSIGHTS, params={"since": "2026-11-25"})
    assert "3 ratings, mean 1.67 stars" in text_of(partial)


@pytest.mark.parametrize("query, message", [
    ({"period": "year"}, "period must be one of week, month"),
    ({"since": "2026-13-01"}, "since must be a date such as 2026-09-01"),
    ({"since": "2026-12-03"}, "since must be between 2000-01-01 and today (2026-12-02)"),
    ({"since": "1999-12-31"}, "since must be between"),
    ({"since": "2001-01-01"}, "more than 260 weeks: choose a later date, or count by month"),
])
def test_a_window_that_cannot_be_shown_is_a_400_that_says_why(moderator, query, message):
    answer = moderator.get(INSIGHTS, params=query, status=400)
    assert message in answer.text


# -- the command line ----------------------------------------------------------------------

@pytest.fixture
def ini(tmp_path, database_url):
    path = tmp_path / "site.ini"
    path.write_text(textwrap.dedent(f"""
        [app:main]
        use = egg:backend-portal
        sqlalchemy.url = {database_url}
        portal.secret = {TEST_SECRET}
        portal.plugins.only = demo
    """), encoding="utf-8")
    return path


def portal_insights(ini, *args):
    # This process's path holds the demo plugin (installed_plugin): so does the command's.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "portal.ops.cli", "insights", str(ini), *args],
                          capture_output=True, text=True, timeout=120, env=env)


def records(done):
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    grouped = {}
    for row in rows:
        grouped.setdefault(row["record"], []).append(row)
    return grouped


def test_portal_insights_prints_the_figures_as_csv(demo_app, ini):
    # The command reads the system clock: the figures are laid out from now.
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0)
    app = demo_app()
    seed(app, now)
    rows = records(portal_insights(ini))
    assert list(rows) == ["site", "ratings", "comments", "section", "page", "lowest",
                          "latest_comment", "missed_search"]
    [site] = rows["site"]
    assert [site[c] for c in ("ratings", "mean", "stars_1", "stars_3")] == ["9", "2.56", "3", "1"]
    [demo] = rows["section"]
    assert demo["section"] == "demo" and demo["title"] == "Demo"
    assert [demo[c] for c in ("ratings", "approved", "pending", "hidden")] == ["9", "3", "1", "1"]
    assert demo["wilson_lower"] == f"{wilson_lower_bound(23, 9):.4f}"
    pages = {row["page"]: row for row in rows["page"]}
    assert list(pages) == ["demo", "demo/first", "demo/second", "demo/guide", "demo/guide/deep"]
    assert (pages["demo/first"]["ratings"], pages["demo/first"]["mean"]) == ("5", "1.40")
    assert pages["demo/guide/deep"]["stars_3"] == "1" and pages["demo"]["ratings"] == "0"
    # Per period: the site's, the section's and each page's, periods with figures only.
    expected = {}
    for key, stars, days in RATINGS:
        week = week_of(now - datetime.timedelta(days=days)).isoformat()
        for scope in (("", ""), ("demo", ""), ("demo", key)):
            count, total = expected.get((*scope, week), (0, 0))
            expected[(*scope, week)] = (count + 1, total + stars)
    got = {(r["section"], r["page"], r["period"]): (int(r["ratings"]), float(r["mean"]))
           for r in rows["ratings"]}
    assert got == {k: (n, round(total / n, 2)) for k, (n, total) in expected.items()}
    first_weeks = [r for r in rows["comments"] if r["page"] == "demo/first"]
    assert sum(int(r["approved"]) for r in first_weeks) == 2
    assert sum(int(r["hidden"]) for r in first_weeks) == 1
    assert [(r["rank"], r["page"]) for r in rows["lowest"]] == [
        ("1", "demo/first"), ("2", "demo/guide/deep"), ("3", "demo/second")]
    assert [r["text"] for r in rows["latest_comment"] if r["page"] == "demo/first"] == [
        "Still broken for me.", "Which version does this page assume?",
        "The first example fails on Windows."]
    assert [(r["section"], r["query"], r["times"]) for r in rows["missed_search"]] == [
        ("demo", "demo widgets", "3"), ("demo", "guide to demo", "2"), ("", "quantum tea", "1")]


def test_portal_insights_since_and_section(demo_app, ini):
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0)
    seed(demo_app(), now)
    since = (now - datetime.timedelta(days=30)).date().isoformat()
    rows = records(portal_insights(ini, "--since", since, "--section", "demo",
                                   "--period", "month"))
    assert "site" not in rows
    [demo] = rows["section"]
    assert demo["ratings"] == "8"  # not the half-year-old rating
    assert {r["period"][8:] for r in rows["ratings"]} == {"01"}  # months
    assert sum(int(r["ratings"]) for r in rows["ratings"] if not r["page"]) == 8


@pytest.mark.parametrize("args, message", [
    (("--since", "yesterday"), "--since must be a date such as 2026-09-01"),
    (("--section", "nope"), "there is no section 'nope'; sections: demo"),
])
def test_portal_insights_refuses_what_it_cannot_read(demo_app, ini, args, message):
    demo_app()
    done = portal_insights(ini, *args)
    assert done.returncode == 2 and message in done.stderr and not done.stdout


# -- the queries ---------------------------------------------------------------------------

def test_periods_start_on_monday_and_on_the_first_of_the_month():
    day = datetime.date(2026, 12, 2)
    assert queries.period_of(day, "week") == datetime.date(2026, 11, 30)
    assert queries.period_of(day, "month") == datetime.date(2026, 12, 1)
    assert queries.default_since(day, "week") == datetime.date(2026, 9, 14)
    assert queries.default_since(day, "month") == datetime.date(2026, 1, 1)
    assert queries.periods_between(datetime.date(2025, 12, 15), day, "month")[:3] == [
        datetime.date(2025, 12, 1), datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)]


class FakeSection:
    def __init__(self, name, title, *tag_lists):
        self.__name__, self.title = name, title
        self.documents = [type("Doc", (), {"tags": tuple(tags)}) for tags in tag_lists]


def test_a_missed_search_is_attributed_by_name_then_title_then_tags():
    vocabulary = queries.Vocabulary.of([
        FakeSection("docker-kubernetes", "Docker and Kubernetes", ["ingress", "testing"]),
        FakeSection("flask", "Flask", ["blueprints", "testing"], ["redis"]),
        FakeSection("redis", "Redis", ["streams", "testing", "redis"]),
        FakeSection("guide", "Python for backend work", ["testing", "asyncio"]),
    ])
    named = vocabulary.sections_named
    assert named("kubernetes ingress timeout") == ["docker-kubernetes"]
    assert named("Flask + Redis cache") == ["flask", "redis"]  # a tie: listed under each
    # A name, a title word and two tags beat a name, a title word and a tag:
    assert named("redis streams in flask") == ["redis"]
    assert named("blueprints") == ["flask"]  # a tag alone
    assert named("testing") == []  # a tag of every section names none of them
    assert named("python asyncio") == ["guide"]  # title word and tag
    assert named("and the for") == []  # stop words name nothing


def test_the_upper_bound_ranks_agreement_before_a_single_bad_rating():
    one_bad = queries.Row("a")
    one_bad.ratings.histogram[1], one_bad.ratings.count = 1, 1
    many_poor = queries.Row("b")
    many_poor.ratings.histogram[1], many_poor.ratings.histogram[2] = 15, 15
    many_poor.ratings.count = 30
    assert many_poor.upper < one_bad.upper
    assert queries.upper_bound(queries.Row("c").ratings) == 1.0


def bulk(conn, n):
    """``n`` ratings and ``n`` comments over two years and forty pages."""
    keys = ["demo"] + [f"demo/page-{i}" for i in range(39)]
    moments = [NOW - datetime.timedelta(hours=5 * i + 1) for i in range(n)]
    conn.execute(sa.insert(Rating), [
        {"page_key": keys[i % 40], "reader_key": f"bulk-{i}", "stars": 1 + i % 5,
         "created_at": moments[i], "updated_at": moments[i]} for i in range(n)])
    conn.execute(sa.insert(Comment), [
        {"page_key": keys[i % 40], "state": ("approved", "approved", "pending", "hidden")[i % 4],
         "body_source": "x", "body_html": "<p>x</p>", "created_at": moments[i],
         "updated_at": moments[i]} for i in range(n)])
    conn.commit()


def test_sqlite_reads_every_insights_query_from_an_index(portal_app_factory):
    """No full table scan and no row looked up after its index, with or without
    ANALYZE statistics (``portal db upgrade`` gathers none). SQLite's plans only:
    PostgreSQL's rightly change with the size of the tables (a sequential scan when the
    window holds most of the rows)."""
    site = portal_app_factory(plugins=[])
    seed(site)
    engine = site.app.registry["dbengine"]
    assert engine.dialect.name == "sqlite"
    statements = []

    def keep(conn, cursor, statement, params, context, many):
        statements.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", keep)
    with site.app.registry["dbsession_factory"]() as s:
        scopes = (queries.SITE, queries.Scope("demo"), queries.Scope("demo/first", whole=False))
        for scope in scopes:
            queries.report(s, scope, since=datetime.date(2026, 9, 14), today=NOW.date(),
                           by_page=scope.key is None)
    sa.event.remove(engine, "before_cursor_execute", keep)
    with engine.connect() as conn:
        for analyzed in (False, True):
            if analyzed:  # statistics of a site with some history, as ANALYZE sees it
                bulk(conn, 3000)
                conn.exec_driver_sql("ANALYZE")
            for statement, params in statements:
                if "search_misses" in statement:  # a few hundred rows, at most
                    continue
                plan = [row[-1] for row in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, params)]
                reads = [step for step in plan if step.startswith(("SCAN", "SEARCH"))
                         and "anon_" not in step and "subquery" not in step]
                assert reads, plan
                for step in reads:
                    assert "COVERING INDEX" in step or "INTEGER PRIMARY KEY" in step, (
                        analyzed, statement, plan)
