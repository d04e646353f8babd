"""The reading views over the traversal tree: home, section landing, pages, redirects, errors."""

import re

import pytest

SECTIONS = {
    "alpha": {
        "portal_alpha/__init__.py": """
            def includeme(config):
                config.add_portal_section("alpha", title="Alpha", content="portal_alpha:content",
                                          summary="First of all.", order=1)
        """,
        "portal_alpha/content/index.md": "---\ntitle: Alpha home\nsummary: Landing.\n---\nWelcome to alpha.\n",
        "portal_alpha/content/start.md": (
            "---\ntitle: Start here\nsummary: The first steps.\norder: 1\nupdated: 2026-11-20\n---\n"
            "Read [the guide](guide/index.md).\n\n## Install\n\nText.\n\n### Detail\n\nMore.\n"
        ),
        "portal_alpha/content/guide/index.md": "---\ntitle: Guide\norder: 2\n---\nThe guide.\n",
        "portal_alpha/content/guide/deep.md": "---\ntitle: Deep page\n---\nDeep.\n",
        "portal_alpha/content/last.md": "---\ntitle: Last page\norder: 3\n---\nThe end.\n",
    },
    "beta": {
        "portal_beta/__init__.py": """
            def includeme(config):
                config.add_portal_section("beta", title="Beta", content="portal_beta:content",
                                          summary="Second.", order=2)
        """,
        "portal_beta/content/index.md": "# Beta\n",
    },
}


@pytest.fixture
def app(installed_plugin, portal_app_factory):
    # Installed in reverse order: the home page must follow `order`, not discovery.
    installed_plugin("beta", SECTIONS["beta"])
    installed_plugin("alpha", SECTIONS["alpha"])
    return portal_app_factory(plugins=["alpha", "beta"])


def links(html, css_class):
    block = re.search(rf'<(?:nav|ul|ol)[^>]*class="{css_class}"[^>]*>(.*?)</(?:nav|ul|ol)>', html, re.S)
    assert block, css_class
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', block.group(1))


def test_home_shows_every_section_as_a_card_in_order_with_its_summary(app):
    html = app.get("/").text
    cards = re.findall(r'<h3 class="card__title"><a href="([^"]+)">([^<]+)</a></h3>\s*<p>([^<]+)</p>', html)
    assert cards == [
        ("http://localhost/alpha/", "Alpha", "First of all."),
        ("http://localhost/beta/", "Beta", "Second."),
    ]


def test_section_landing_lists_its_pages_in_order(app):
    html = app.get("/alpha/").text
    assert "<h1>Alpha home</h1>" in html and "Welcome to alpha." in html
    cards = re.findall(r'<h3 class="card__title"><a href="([^"]+)">([^<]+)</a>', html)
    assert cards == [
        ("http://localhost/alpha/start/", "Start here"),
        ("http://localhost/alpha/guide/", "Guide"),
        ("http://localhost/alpha/last/", "Last page"),
    ]


def test_page_has_breadcrumbs_navigation_pager_and_contents(app):
    html = app.get("/alpha/guide/deep/").text
    assert "<h1>Deep page</h1>" in html
    assert links(html, "breadcrumbs") == [
        ("http://localhost/", "Home"),
        ("http://localhost/alpha/", "Alpha"),
        ("http://localhost/alpha/guide/", "Guide"),
    ]
    assert '<span aria-current="page">Deep page</span>' in html
    assert re.search(r'<a href="http://localhost/alpha/guide/deep/" aria-current="page">Deep page</a>', html)
    # The breadcrumb, the tree beside the page and the tree in the phones' drawer.
    assert html.count('aria-current="page"') == 3
    assert re.search(r'rel="prev" href="http://localhost/alpha/guide/"', html)
    assert re.search(r'rel="next" href="http://localhost/alpha/last/"', html)

    start = app.get("/alpha/start/").text
    assert '<a href="#install">Install</a>' in start and '<a href="#detail">Detail</a>' in start
    assert '<time datetime="2026-11-20">20 November 2026</time>' in start
    assert "1 min read" in start
    assert '<a href="../guide/">the guide</a>' in start
    assert '<link rel="canonical" href="http://localhost/alpha/start/">' in start
    assert '<meta name="description" content="The first steps.">' in start


def test_a_folder_page_lists_its_own_pages(app):
    html = app.get("/alpha/guide/").text
    assert "Pages in Guide" in html
    assert '<a href="http://localhost/alpha/guide/deep/">Deep page</a>' in html


def test_first_and_last_pages_of_a_section_have_one_neighbour(app):
    landing = app.get("/alpha/").text
    assert 'rel="prev"' not in landing and 'rel="next" href="http://localhost/alpha/start/"' in landing
    last = app.get("/alpha/last/").text
    assert 'rel="next"' not in last and 'rel="prev" href="http://localhost/alpha/guide/deep/"' in last


@pytest.mark.parametrize("path, target", [
    ("/alpha", "http://localhost/alpha/"),
    ("/alpha/start", "http://localhost/alpha/start/"),
    ("/alpha/start.md", "http://localhost/alpha/start/"),
    ("/alpha/index", "http://localhost/alpha/"),
    ("/alpha/index.md", "http://localhost/alpha/"),
    ("/alpha/guide/index.md", "http://localhost/alpha/guide/"),
    ("/alpha/start?ref=x", "http://localhost/alpha/start/?ref=x"),
])
def test_other_spellings_redirect_permanently_to_the_canonical_url(app, path, target):
    response = app.get(path, status=301)
    assert response.location == target


@pytest.mark.parametrize("path", [
    "/nope/", "/alpha/nope/", "/alpha/start/nope/", "/alpha/guide/deep/x/y/z",
    "/-/", "/-/nothing", "/alpha/start/@@nothing", "/%E2%9C%93/", "/alpha/%00/",
    "/" + "a" * 5000, "/alpha/../../etc/passwd", "/ALPHA/",
])
def test_unknown_and_odd_urls_get_the_site_404_page(app, path):
    response = app.get(path, status=404)
    assert "<h1>Page not found</h1>" in response.text
    assert "Skip to content" in response.text  # the site layout


def test_json_paths_get_json_errors(app):
    response = app.get("/api/v1/nothing-here", status=404)
    assert response.json["error"] == "not found"


def test_unsafe_methods_on_pages_are_refused_with_a_4xx(app):
    assert app.post("/alpha/start/", status="*").status_int in (400, 403, 404, 405)
    assert app.delete("/alpha/", status="*").status_int in (400, 403, 404, 405)


def test_head_requests_are_answered(app):
    assert app.head("/alpha/start/").status_int == 200


def test_an_exception_gets_the_site_500_page(installed_plugin, portal_app_factory, caplog):
    installed_plugin("boom", {"portal_boom/__init__.py": """
        from pyramid.view import view_config

        def explode(request):
            raise ZeroDivisionError("kaboom")

        def includeme(config):
            config.add_route("boom", "/boom")
            config.add_view(explode, route_name="boom")
    """})
    # Included as site configuration (not as a plugin), so nothing isolates the failure.
    app = portal_app_factory(plugins=[], **{"pyramid.includes": "portal_boom"})
    response = app.get("/boom", status=500)
    assert "<h1>Something went wrong</h1>" in response.text
    assert "kaboom" not in response.text  # no internals shown to readers
    assert any("GET /boom failed" in r.getMessage() for r in caplog.records)


def test_an_empty_portal_says_how_to_add_sections(portal_app_factory):
    html = portal_app_factory(plugins=[]).get("/").text
    assert "No section is installed yet" in html
