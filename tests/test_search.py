"""Search: the query reader (no input is read as syntax), ranking and landing on
headings, the /@@search page and /api/v1/search, hostile input, counted misses (SQLite and
PostgreSQL) shown to moderators, the 404 page's suggestions, sitemap.xml and robots.txt;
finding what a developer means (issue 14): partial words read alike everywhere, typos,
synonyms, spellings, keywords, a plugin's search terms, sections named in a query, and a
result's words marked on its page (?h=)."""

import re

import pytest
import sqlalchemy as sa

from portal.moderation.models import Moderator
from portal.moderation.passwords import hash_password
from portal.search.index import MARK_END, MARK_START, SearchIndex, highlighted
from portal.search.models import SearchMiss
from portal.search.query import parse_query, words_of_path
from portal.search.vocabulary import Stems, Typos, american, read_table, shipped_table
from portal.testing import log_in_moderator

# Two sections whose words are chosen so each test knows the right answer.
DOCS = {
    "portal_docs/__init__.py": """
        def includeme(config):
            config.add_portal_section("kitchen", title="Kitchen", content="portal_docs:kitchen",
                                      summary="Cooking things.", order=1)
            config.add_portal_section("garden", title="Garden", content="portal_docs:garden",
                                      summary="Growing things.", order=2)
    """,
    "portal_docs/kitchen/index.md": "# Kitchen\n\nAll about the kitchen.\n",
    # "sourdough" is this page's title; the next page only mentions it in its text, often.
    "portal_docs/kitchen/sourdough.md": """\
        ---
        title: Sourdough
        summary: A starter, flour and patience.
        updated: 2024-05-01
        ---

        Bread from a starter.

        ## Feeding the starter

        Feed it flour and water every day; discard half before feeding.

        ## Baking day

        Shape the loaf, proof it overnight and bake in a hot oven.

        ```python
        def bake(loaf):
            return loaf.crust < "golden"  # <script>alert(1)</script>
        ```
        """,
    "portal_docs/kitchen/pantry.md": """\
        # Pantry

        Sourdough sourdough sourdough: the pantry keeps sourdough flour, sourdough jars and
        more sourdough. Also rye and spelt.

        ## Rare spices

        Saffron threads and grains of paradise live on the top shelf.
        """,
    "portal_docs/garden/index.md": "# Garden\n\nAll about the garden.\n",
    "portal_docs/garden/compost.md": """\
        # Compost

        Compost turns kitchen scraps into soil.

        ## Hot composting

        A hot pile reaches sixty degrees and kills weed seeds. Turn it weekly.

        ## Worm bins

        Worms eat scraps too; keep the bin out of direct sun.
        """,
    "portal_docs/garden/pests.md": """\
        # Pests

        Slugs love seedlings. A copper ring keeps them away; so does a night patrol.
        The seeds weed themselves out if you hot water them (not a phrase match).
        """,
}
for _i in range(1, 13):  # enough pages about "tomato" for two pages of results
    DOCS[f"portal_docs/garden/tomato-{_i:02d}.md"] = (
        f"# Tomato variety {_i}\n\nA tomato for the greenhouse, number {_i}.\n"
    )


@pytest.fixture
def site(installed_plugin, portal_app_factory):
    installed_plugin("docs", DOCS)
    return portal_app_factory(plugins=["docs"])


def api(app, status=200, **params):
    return app.get("/api/v1/search", params=params, status=status).json


def paths(data):
    return [(hit["path"], hit["heading"]) for hit in data["results"]]


# -- reading queries ------------------------------------------------------------------


def test_words_phrases_and_prefixes_are_read_from_any_text():
    query = parse_query('Flask "application factory" migr* ')
    assert [str(t) for t in query.terms] == ["flask", '"application factory"', "migr*"]
    # Punctuation joins words into a phrase, the way the text was indexed.
    assert [str(t) for t in parse_query("request.dbsession add_portal_section").terms] == [
        '"request dbsession"', '"add portal section"']


@pytest.mark.parametrize("text", [
    'NEAR(a b) OR title:x AND ^y NOT -z', '"unbalanced', '""', "***", "a*", "(((", "{title}: x",
    "\x00\x01\x02\x03", "x\x00y", "\u202e\ufeffword", '" OR "', "'; DROP TABLE fts; --",
    "x" * 10_000, " ".join(["word"] * 5000),
])
def test_no_input_is_read_as_syntax(text):
    index = SearchIndex(cache_size=0)
    index.add_page(object(), "s", title="T", context="", summary="", chunks=[])
    index.finish()
    query = parse_query(text)
    assert len(query.text) <= 200
    # Nothing but words: runs of letters and digits.
    assert all(re.fullmatch(r"[^\W_]+", token) for term in query.terms for token in term.tokens)
    for mode in ("all", "any", None):
        index.search(query, mode=mode)
    assert MARK_START not in query.text and "\x00" not in query.text


def test_the_last_word_may_be_partial_whoever_asks():
    # The index decides (a word it does not know is a prefix), the same for the live box,
    # the results page and the API: typing or not, a trailing space or not.
    for text, live in (("sour fee", True), ("sour fee ", True), ("sour fee", False)):
        terms = parse_query(text, live=live).terms
        assert [(t.tokens, t.prefix, t.partial) for t in terms] == [
            (("sour",), False, False), (("fee",), False, True)]
    assert not parse_query("migr*").terms[0].partial


def test_snippets_are_escaped_and_marks_balanced():
    text = f"<b>&{MARK_START}x{MARK_END} {MARK_START}cut off"
    assert str(highlighted(text)) == "&lt;b&gt;&amp;<mark>x</mark> <mark>cut off</mark>"
    assert str(highlighted(f"runs on{MARK_END} here")) == "runs on here"


def test_words_of_a_missing_url():
    assert words_of_path("/garden/hot-compost.md") == "garden hot compost"
    assert words_of_path("/index.html") == ""


# -- finding ----------------------------------------------------------------------------


def test_the_page_titled_with_the_word_ranks_above_pages_that_repeat_it(site):
    data = api(site, q="sourdough")
    assert data["results"][0]["path"] == "kitchen/sourdough"
    assert data["results"][0]["heading"] is None  # lands on the top of the page
    assert "kitchen/pantry" in [hit["path"] for hit in data["results"]]


def test_a_hit_lands_on_the_heading_that_holds_the_words(site):
    data = api(site, q="discard flour")
    hit = data["results"][0]
    assert (hit["path"], hit["heading"]) == ("kitchen/sourdough", "Feeding the starter")
    # The link lands on the heading and marks the words on the page (?h=).
    assert hit["url"].endswith("/kitchen/sourdough/?h=discard+flour#feeding-the-starter")
    assert "<mark>discard</mark>" in hit["snippet_html"]
    # The page's landing anchor exists on the page.
    assert 'id="feeding-the-starter"' in site.get("/kitchen/sourdough/").text


def test_headings_rank_above_text(site):
    # "hot" is a heading of compost and only text of sourdough and pests.
    data = api(site, q="hot")
    assert paths(data)[0] == ("garden/compost", "Hot composting")


def test_phrases_match_words_side_by_side_only(site):
    assert [p for p, _ in paths(api(site, q='"weed seeds"'))] == ["garden/compost"]
    assert "garden/pests" in [p for p, _ in paths(api(site, q="weed seeds"))]


def test_prefixes_complete_words(site):
    data = api(site, q="saff*")
    assert paths(data) == [("kitchen/pantry", "Rare spices")]
    assert "<mark>Saffron</mark>" in data["results"][0]["snippet_html"]


def test_every_word_must_match_unless_no_page_has_them_all(site):
    assert api(site, q="slugs saffron")["match"] == "any"
    assert {p for p, _ in paths(api(site, q="slugs saffron"))} == {"garden/pests", "kitchen/pantry"}
    both = api(site, q="worms sun")
    assert both["match"] == "all" and paths(both) == [("garden/compost", "Worm bins")]


def test_section_filter(site):
    assert {h["section"] for h in api(site, q="kitchen")["results"]} == {"garden", "kitchen"}
    only = api(site, q="kitchen", section="garden")
    assert paths(only) == [("garden/compost", None)]


def test_pagination(site):
    first = api(site, q="tomato", per_page=5)
    assert first["total"] == 12 and first["pages"] == 3 and first["previous"] is None
    second = site.get(first["next"]).json
    third = site.get(second["next"]).json
    seen = [h["path"] for page in (first, second, third) for h in page["results"]]
    assert len(seen) == 12 == len(set(seen))
    assert third["next"] is None
    assert api(site, q="tomato", page=9)["results"] == []


def test_results_page_works_without_javascript(site):
    page = site.get("/@@search", params={"q": "compost"})
    assert "<h1>Search</h1>" in page.text
    link = page.html.select_one(".search-result__title a")
    assert link["href"] == "http://localhost/garden/compost/?h=compost"
    assert page.html.select_one("#search-page-q")["value"] == "compost"
    # The section filter and the pager are plain links and forms.
    page = site.get("/@@search", params={"q": "tomato"})
    nxt = page.html.select_one(".pager a[rel=next]")["href"]
    assert "page=2" in nxt
    assert len(site.get(nxt).html.select(".search-result")) == 2


def test_snippets_on_the_results_page_are_escaped(site):
    page = site.get("/@@search", params={"q": "golden"})
    snippet = str(page.html.select_one(".search-result__snippet"))
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert "<mark>golden</mark>" in snippet


def test_search_box_on_every_page(site):
    for url in ("/", "/garden/", "/garden/compost/", "/@@search", "/nowhere"):
        page = site.get(url, status="*")
        form = page.html.select_one("form[data-search-box]")
        assert form["action"] == "http://localhost/@@search", url
        assert form.select_one("label[for=site-search-q]")
    assert "js/search.js" in site.get("/").text


@pytest.mark.parametrize("q", [
    '"', '"""', "*", "AND", "NEAR(", "x" * 10_000, "\x00", "\x1f\x7f", "%", "\\", "{a}:b",
    "-", "^", "a OR", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
])
def test_hostile_queries_never_fail(site, q):
    assert site.get("/@@search", params={"q": q}).status_int == 200
    assert site.get("/api/v1/search", params={"q": q}).status_int == 200
    assert site.get("/api/v1/search", params={"q": q, "live": "1"}).status_int == 200


def test_bad_parameters_are_4xx_with_reasons(site):
    assert api(site, 400, q="x", page="0")["fields"] == {
        "page": "page must be a whole number from 1 to 1000, got '0'"}
    assert "per_page" in api(site, 400, q="x", per_page="500")["fields"]
    assert "section" in api(site, 400, q="x", section="nope")["fields"]
    assert site.get("/api/v1/search?q=%ff", status=400).json["fields"] == {
        "query": "the query string is not valid UTF-8 once %-decoded"}
    assert site.get("/@@search?q=x&page=abc", status=400)
    # The page ignores an unknown section instead.
    assert site.get("/@@search", params={"q": "compost", "section": "nope"}).status_int == 200


def test_the_api_is_in_the_openapi_document(site):
    document = site.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/search"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "section", "page", "per_page", "live"}
    schema = document["components"]["schemas"]["SearchResults"]
    assert set(schema["required"]) == set(api(site, q="compost"))
    assert set(document["components"]["schemas"]["SearchHit"]["required"]) == set(
        api(site, q="compost")["results"][0])


# -- misses -----------------------------------------------------------------------------


def misses(app):
    with app.app.registry["dbsession_factory"]() as s:
        return {m.query: m.count for m in s.scalars(sa.select(SearchMiss))}


def test_searches_that_find_nothing_are_counted(installed_plugin, app_on_both):
    installed_plugin("docs", DOCS)
    app = app_on_both(**{"portal.plugins.only": "docs"})
    app.get("/@@search", params={"q": "Kubernetes  helm"})
    app.get("/api/v1/search", params={"q": "kubernetes helm"})
    app.get("/api/v1/search", params={"q": "kubernetes hel", "live": "1"})  # still typing
    app.get("/api/v1/search", params={"q": "compost"})  # found
    app.get("/api/v1/search", params={"q": "zucchini", "section": "garden"})  # one section
    app.get("/@@search", params={"q": "?!"})  # no words at all
    assert misses(app) == {"kubernetes helm": 2}


def test_moderators_see_the_missed_searches(site):
    site.get("/@@search", params={"q": "orchids"})
    site.get("/@@search", params={"q": "orchids"})
    site.get("/@@search", params={"q": "<b>bonsai</b>"})
    assert site.get("/-/moderation/@@searches").status_int == 303  # to the login page
    with site.app.registry["dbsession_factory"]() as s:
        s.add(Moderator(name="mod", password_hash=hash_password("correct horse battery")))
        s.commit()
    form = site.get("/-/moderation/@@login").forms["login-form"]
    form["name"], form["password"] = "mod", "correct horse battery"
    form.submit(status=303)
    page = site.get("/-/moderation/@@searches")
    rows = [[cell.get_text(strip=True) for cell in row.select("th, td")[:2]]
            for row in page.html.select("tbody tr")]
    assert rows == [["orchids", "2"], ["<b>bonsai</b>", "1"]]
    assert "&lt;b&gt;bonsai" in page.text
    assert "Missed searches" in site.get("/-/moderation/").text


# -- 404, sitemap, robots ----------------------------------------------------------------


def test_the_404_page_suggests_pages_for_the_words_of_the_url(site):
    page = site.get("/garden/hot-composting-guide", status=404)
    links = [a["href"] for a in page.html.select(".suggestions a")]
    assert links[0] == "http://localhost/garden/compost/#hot-composting"
    assert page.html.select_one("#notfound-q")["value"] == "garden hot composting guide"
    assert site.get("/api/v1/nothing", status=404).json["status"] == 404


def test_sitemap_lists_every_page_with_its_date(site):
    response = site.get("/sitemap.xml")
    assert response.content_type == "application/xml"
    assert "<loc>http://localhost/kitchen/sourdough/</loc><lastmod>2024-05-01</lastmod>" in response.text
    locs = re.findall(r"<loc>([^<]+)</loc>", response.text)
    assert len(locs) == 1 + 2 + 4 + 12  # home, sections, pages
    assert "http://localhost/garden/tomato-12/" in locs


def test_robots_txt_points_to_the_sitemap(site):
    text = site.get("/robots.txt").text
    assert "Sitemap: http://localhost/sitemap.xml" in text
    assert "Disallow: /@@search" in text and "Disallow: /-/" in text


def test_search_works_while_the_database_is_unreachable(installed_plugin, portal_app_factory):
    installed_plugin("docs", DOCS)
    app = portal_app_factory(plugins=["docs"], **{
        "sqlalchemy.url": "postgresql+psycopg://nobody@127.0.0.1:9/x",
        "portal.db.connect_timeout": "2"})
    assert paths(api(app, q="saffron")) == [("kitchen/pantry", "Rare spices")]
    # A search that finds nothing would be counted: the count is lost, not the answer.
    assert api(app, q="kohlrabi")["total"] == 0
    assert "No page matches" in app.get("/@@search", params={"q": "kohlrabi"}).text


# -- finding what a developer means (issue 14) ----------------------------------------

# Sections named like the first-party ones, with words chosen so each test knows the answer.
DEV = {
    "portal_dev/__init__.py": """
        def includeme(config):
            for order, (name, title) in enumerate([
                    ("pyramid", "Pyramid"), ("sqlalchemy", "SQLAlchemy"), ("celery", "Celery"),
                    ("kubernetes", "Docker and Kubernetes"), ("django", "Django")]):
                config.add_portal_section(name, title=title, content="portal_dev:" + name,
                                          summary="About " + title, order=order)
            # A plugin's own vocabulary: for its section, and for the whole site.
            config.add_portal_search_terms("celery", {"timetable": ["beat"]})
            config.add_portal_search_terms(None, {"gizmo": ["widget"]})
    """,
    "portal_dev/pyramid/index.md": "# Pyramid\n\nA web framework.\n",
    "portal_dev/pyramid/security.md": """\
        # Security

        A security policy answers who the user is (authentication) and what they may do
        (authorization).

        ## Permissions on views

        Pass `permission="edit"` to a view; the policy's ACL decides.

        ```python
        def check_credentials(request):
            return "<b>security</b>"
        ```
        """,
    "portal_dev/pyramid/transactions.md": """\
        # Transactions

        pyramid_tm commits the transaction at the end of each request, or aborts it.
        """,
    "portal_dev/pyramid/retries.md": """\
        # Retry on conflict

        pyramid_retry runs a request again when the database reports a conflict.
        """,
    "portal_dev/sqlalchemy/index.md": "# SQLAlchemy\n\nThe database toolkit.\n",
    "portal_dev/sqlalchemy/sessions.md": """\
        # Sessions

        The SQLAlchemy session is transactional: commit or roll back a unit of work.
        """,
    "portal_dev/sqlalchemy/engines.md": """\
        # Engines

        An SQLAlchemy engine holds a connection pool.
        """,
    "portal_dev/celery/index.md": "# Celery\n\nA distributed task queue.\n",
    "portal_dev/celery/beat.md": """\
        # Scheduling with beat

        Celery beat sends a task on a timetable: every minute, every Monday morning.
        """,
    "portal_dev/celery/retrying.md": """\
        # Retrying tasks

        A task can retry itself with exponential backoff when a service is down.
        """,
    "portal_dev/kubernetes/index.md": "# Docker and Kubernetes\n\nContainers in production.\n",
    "portal_dev/kubernetes/autoscaling.md": """\
        # Autoscaling

        The horizontal pod autoscaler adds replicas when CPU use climbs.
        """,
    "portal_dev/kubernetes/releases.md": """\
        ---
        title: Releasing a new version
        keywords: [blue-green, canary]
        ---

        Roll the new image out a replica at a time.
        """,
    "portal_dev/django/index.md": "# Django\n\nThe web framework with batteries.\n",
    "portal_dev/django/rest.md": """\
        # REST APIs

        ## Serializers

        A serializer turns a model instance into JSON and validates input.
        """,
    "portal_dev/django/widgets.md": "# Form widgets\n\nA widget renders a form field.\n",
}


@pytest.fixture
def dev(installed_plugin, portal_app_factory):
    installed_plugin("dev", DEV)
    return portal_app_factory(plugins=["dev"])


def found(app, q, **params):
    return [hit["path"] for hit in api(app, q=q, **params)["results"]]


def summary_count(page):
    text = page.html.select_one(".search-summary").get_text(" ", strip=True)
    match = re.match(r"(\d+) pages? match", text)
    return int(match.group(1)) if match else 0


def test_a_partial_word_means_the_same_in_the_live_box_and_on_the_results_page(dev):
    live = api(dev, q="transac", live="1", per_page="6")
    page = dev.get("/@@search", params={"q": "transac"})
    assert live["total"] > 0
    assert summary_count(page) == live["total"]  # "All N results" opens the same N
    assert live["html_url"] == "http://localhost/@@search?q=transac&page=1"
    assert summary_count(dev.get(live["html_url"])) == live["total"]
    assert api(dev, q="transac")["total"] == live["total"]
    # The page titled with the word being typed comes first.
    assert live["results"][0]["path"] == "pyramid/transactions"
    assert {"pyramid/transactions", "sqlalchemy/sessions"} <= set(found(dev, "transac"))


def test_a_typo_finds_the_word_and_offers_it(dev):
    data = api(dev, q="sqlalchmy")
    assert data["did_you_mean"] == "sqlalchemy"
    assert {"sqlalchemy/sessions", "sqlalchemy/engines"} <= set(p for p in found(dev, "sqlalchmy"))
    page = dev.get("/@@search", params={"q": "sqlalchmy"})
    offer = page.html.select_one(".search-did-you-mean a")
    assert offer.get_text() == "sqlalchemy"
    assert offer["href"] == "http://localhost/@@search?q=sqlalchemy"
    assert api(dev, q="sqlalchemy")["did_you_mean"] is None
    assert api(dev, q="engine")["did_you_mean"] is None


def test_the_404_page_suggests_the_page_despite_a_typo(dev):
    page = dev.get("/pyramid/securty/", status=404)
    links = [a["href"] for a in page.html.select(".suggestions a")]
    assert links[0] == "http://localhost/pyramid/security/"


@pytest.mark.parametrize("q, path", [
    ("k8s autoscaling", "kubernetes/autoscaling"),  # an abbreviation
    ("serialiser", "django/rest"),  # British spelling, and a stem
    ("cron jobs", "celery/beat"),  # other words for the same thing
    ("periodic tasks", "celery/beat"),
    ("colour widgets", "django/widgets"),  # no page says colour: the widgets page has some words
])
def test_synonyms_spellings_and_abbreviations(dev, q, path):
    assert found(dev, q)[0] == path


def test_front_matter_keywords_are_searched_like_headings(dev):
    assert found(dev, "canary") == ["kubernetes/releases"]
    assert found(dev, "blue green")[0] == "kubernetes/releases"


def test_a_plugins_search_terms(dev):
    # For its own section only: "timetable" finds beat pages of celery, not elsewhere.
    assert found(dev, "scheduler timetable")[0] == "celery/beat"
    # For the whole site.
    assert found(dev, "gizmo") == ["django/widgets"]
    terms = dev.app.registry.introspector.get_category("portal search terms")
    assert {(i["introspectable"]["section"], tuple(i["introspectable"]["terms"])) for i in terms} == {
        ("celery", ("timetable",)), (None, ("gizmo",))}
    assert {i["introspectable"]["plugin"] for i in terms} == {"dev"}
    # /-/plugins.json lists them with what the plugin registered (for moderators).
    log_in_moderator(dev)
    listed = next(p for p in dev.get("/-/plugins.json").json["plugins"] if p["name"] == "dev")
    assert [(r["name"], r["terms"]) for r in listed["registered"] if r["kind"] == "search terms"] == [
        ("celery", ["timetable"]), ("(all sections)", ["gizmo"])]


def plugin_status(app, name):
    return next(p["status"] for p in app.get("/-/plugins.json").json["plugins"] if p["name"] == name)


def test_search_terms_are_checked(installed_plugin, portal_app_factory, caplog):
    installed_plugin("badterms", {
        "portal_badterms/__init__.py": """
            def includeme(config):
                config.add_portal_search_terms(None, {"gizmo": "widget", "x": [3]})
        """})
    app = portal_app_factory(plugins=["badterms"])
    assert plugin_status(app, "badterms") == "failed"
    assert "'x' must be a word or phrase mapped to a list" in caplog.text


def test_a_query_naming_a_section_favours_its_pages(dev):
    # "celery" is nowhere in the retrying page's text: the section stands for it.
    assert found(dev, "celery retry")[0] == "celery/retrying"
    assert found(dev, "pyramid retry")[0] == "pyramid/retries"


def test_results_link_to_the_page_with_the_words_marked(dev):
    link = api(dev, q="security policy")["results"][0]["url"]
    assert link == "http://localhost/pyramid/security/?h=security+policy"
    page = dev.get(link)  # the server marks them: no JavaScript needed
    body = page.html.select_one(".doc__body")
    marked = [m.get_text() for m in body.select("mark.search-mark")]
    assert "security" in marked and "policy" in marked
    # Never inside a code block, a tag or an attribute.
    assert not body.select("pre mark")
    assert 'id="permissions-on-views"' in page.text
    assert dev.get("/pyramid/security/").html.select("mark") == []


@pytest.mark.parametrize("h", [
    '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "mark", "pre", "class",
    "&amp;", "x" * 10_000, "security " * 500, "\x00security", "%ff",
])
def test_hostile_highlight_words_are_only_compared(dev, h):
    page = dev.get("/pyramid/security/", params={"h": h})
    assert "<script>alert" not in page.text and "onerror=alert" not in page.text
    assert page.html.select_one("h1").get_text(strip=True) == "Security"
    for mark in page.html.select("mark"):  # only whole words of the page's text
        assert mark.get_text() in ("security", "Security")
    assert page.html.select_one(".doc__body pre") is not None


def test_highlighted_pages_are_not_kept_in_the_page_cache(installed_plugin, portal_app_factory):
    installed_plugin("dev", DEV)
    app = portal_app_factory(plugins=["dev"], **{"portal.page_cache.seconds": "30"})
    for _ in range(2):
        response = app.get("/pyramid/security/", params={"h": "policy"})
    assert "X-Portal-Cache" not in response.headers
    app.get("/pyramid/security/")
    assert app.get("/pyramid/security/").headers["X-Portal-Cache"] == "hit"


def test_a_snippet_from_code_is_shown_as_code(dev):
    hit = api(dev, q="check_credentials")["results"][0]
    assert hit["snippet_is_code"] is True
    assert hit["snippet_html"].startswith('<code class="search-snippet-code">def <mark>check</mark>_<mark>credentials</mark>')
    assert "&lt;b&gt;" in hit["snippet_html"] and "<b>" not in hit["snippet_html"]


def test_the_same_search_terms_twice_are_a_conflict(installed_plugin, portal_app_factory, caplog):
    installed_plugin("twice", {
        "portal_twice/__init__.py": """
            def includeme(config):
                config.add_portal_search_terms(None, {"gizmo": ["widget"]})
                config.add_portal_search_terms(None, {"gizmo": ["gadget"]})
        """})
    app = portal_app_factory(plugins=["twice"])
    assert plugin_status(app, "twice") == "failed"
    assert "Conflicting configuration actions" in caplog.text


def test_the_api_needs_q(dev):
    assert api(dev, 400)["fields"] == {"q": "q is required: the words to search for"}
    assert dev.get("/@@search").status_int == 200  # the page shows its empty form


def test_the_index_answers_threads_alike(dev):
    """Immutable once built: waitress's threads search it at once without a lock."""
    from concurrent.futures import ThreadPoolExecutor

    index = dev.app.registry.portal_search
    queries = ["transac", "sqlalchmy", "k8s autoscaling", "celery retry", "unheardofword",
               "serialiser", '"security policy"', "retr*"] * 25

    def run(text):
        results = index.search(parse_query(text), page_size=5)
        return text, results.total, [hit.node.key for hit in results.hits], results.did_you_mean

    alone = {text: run(text) for text in set(queries)}
    with ThreadPoolExecutor(8) as pool:
        for answer in pool.map(run, queries):
            assert answer == alone[answer[0]]


# -- the vocabulary, unit by unit ------------------------------------------------------


def test_british_and_american_spellings_are_one_term():
    stems = Stems()
    for british, american_ in [("serialiser", "serializer"), ("colour", "color"),
                               ("optimisation", "optimization"), ("behaviour", "behavior"),
                               ("analyse", "analyze"), ("licence", "license")]:
        assert stems[british] == stems[american_], british
    # -ize words keep apart from their roots; ordinary -ise words are left alone.
    assert stems["authorization"] != stems["authors"]
    assert american("promise") == "promise" and american("exercise") == "exercise"


def test_typos_are_read_as_the_closest_frequent_word():
    typos = Typos({"sqlalchemy": 40, "security": 12, "session": 30, "sessions": 2, "celery": 9})
    assert typos.correct("sqlalchmy") == "sqlalchemy"  # a letter missing
    assert typos.correct("securtiy") == "security"  # two letters swapped: one edit
    assert typos.correct("sesion") == "session"  # the more frequent of two at one edit
    assert typos.correct("celry") == "celery"
    assert typos.correct("cel") is None  # too short to guess
    assert typos.correct("zzzzzzzz") is None


def test_the_synonym_table_reads_groups_and_one_way_lines():
    assert read_table("a, b\nk8s => kubernetes  # comment\n\n# only a comment\n") == [
        ("a", ["b"], False), ("b", ["a"], False), ("k8s", ["kubernetes"], True)]
    with pytest.raises(ValueError, match="synonyms.txt:1"):
        read_table("lonely\n")
    assert shipped_table()  # the core's own file parses
