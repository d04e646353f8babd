"""HTTP caching: ETags and 304 for pages and listings, long-lived busted static URLs."""

import hashlib
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from portal.http.caching import body_etag


def test_an_anonymous_page_has_an_etag_and_answers_304_when_unchanged(portal_app):
    first = portal_app.get("/")
    assert first.etag == body_etag(first.body)
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert "Cookie" in first.headers["Vary"]
    again = portal_app.get("/", headers={"If-None-Match": f'"{first.etag}"'}, status=304)
    assert again.body == b""
    assert again.headers["ETag"] == f'"{first.etag}"'
    assert again.headers["Content-Security-Policy"]


def test_a_page_with_the_readers_form_is_public_and_the_same_for_every_reader(portal_app):
    """The comment form carries no token: the page is one document for everyone, kept by a
    shared cache and revalidated with a 304."""
    first = portal_app.get("/guide/")
    assert 'name="csrf_token" value=""' in first.text
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert "Set-Cookie" not in first.headers
    portal_app.reset()
    second = portal_app.get("/guide/")
    assert second.body == first.body and second.etag == first.etag
    again = portal_app.get("/guide/", headers={"If-None-Match": f'"{first.etag}"'}, status=304)
    assert again.body == b""


def test_the_etag_changes_when_the_page_does(portal_app):
    before = portal_app.get("/guide/")
    body = before.body.replace(b"</main>", b"<p>new</p></main>")
    assert body_etag(body) != before.etag


def test_a_stale_etag_gets_the_full_page(portal_app):
    response = portal_app.get("/guide/", headers={"If-None-Match": '"something-else"'})
    assert response.status_int == 200
    assert "<html" in response.text


def test_listings_and_json_have_etags_too(portal_app):
    for url in ("/", "/-/plugins.json"):
        response = portal_app.get(url)
        assert response.etag
        portal_app.get(url, headers={"If-None-Match": f'"{response.etag}"'}, status=304)


def test_a_reader_with_reader_state_gets_a_private_copy(portal_app):
    response = portal_app.get("/", headers={"Cookie": "portal_pending=1"})
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.etag
    # Cookies without reader state (another site's) leave the page the shared one.
    response = portal_app.get("/", headers={"Cookie": "theme=dark"})
    assert response.headers["Cache-Control"] == "public, no-cache"


def test_production_pages_may_be_reused_by_shared_caches(portal_app_factory):
    app = portal_app_factory(plugins=["guide"], **{"portal.page_cache.max_age": "60",
                                                   "portal.page_cache.stale_while_revalidate": "600"})
    assert app.get("/guide/").headers["Cache-Control"] == "public, max-age=60, stale-while-revalidate=600"
    assert app.get("/-/plugins.json").headers["Cache-Control"] == "public, no-cache"


def test_errors_and_writes_are_not_given_etags(portal_app):
    assert portal_app.get("/no-such-section/", status=404).etag is None


def test_static_urls_carry_a_hash_of_the_file_and_live_a_year(portal_app):
    import portal

    page = portal_app.get("/")
    href = page.html.find("link", rel="stylesheet")["href"]
    path, query = urlsplit(href).path, parse_qs(urlsplit(href).query)
    assert path == "/-/static/portal/css/portal.css"
    source = (Path(portal.__file__).parent / "static/css/portal.css").read_bytes()
    assert query["v"] == [hashlib.blake2b(source, digest_size=6).hexdigest()]
    response = portal_app.get(href)
    assert response.cache_control.max_age == 31536000
    for script in page.html.find_all("script"):
        assert re.search(r"\?v=[0-9a-f]{12}$", script["src"]), script["src"]


def test_plugin_static_files_are_busted_too_and_change_with_the_file(portal_app_factory,
                                                                      installed_plugin, tmp_path):
    installed_plugin("shiny", {
        "portal_shiny/__init__.py": """
            from pyramid.view import view_config
            from portal.resources import Root

            @view_config(context=Root, name="shiny-url", renderer="string")
            def url(request):
                return request.static_url("portal_shiny:static/app.js")

            def includeme(config):
                config.add_portal_static("portal_shiny:static")
                config.scan()
        """,
        "portal_shiny/static/app.js": "console.log('one');\n",
    })
    app = portal_app_factory(plugins=["shiny"], **{"pyramid.reload_assets": "true"})
    url = app.get("/shiny-url").text
    assert re.match(r"http://localhost/-/static/shiny/app\.js\?v=[0-9a-f]{12}$", url), url
    assert app.get(url).cache_control.max_age == 31536000
    site = next(Path(p) for p in sys.path if p.startswith(str(tmp_path)))
    script = site / "portal_shiny/static/app.js"
    script.write_text("console.log('two');\n")
    later = time.time() + 5
    os.utime(script, (later, later))  # a new modification time, whatever the clock's grain
    assert app.get("/shiny-url").text != url
