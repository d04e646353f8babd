"""The Flask section, served by a portal built with this plugin alone, through the
portal's test kit (the pytest plugin installed with backend-portal)."""

from portal.testing import section_pages

PLUGIN = "flask"


def test_the_landing_page_and_every_page_answer_with_their_titles(portal_app_factory):
    app = portal_app_factory(plugins=[PLUGIN], strict=True)
    pages = section_pages(app, PLUGIN)
    assert len(pages) >= 7, f"a landing page and six pages at least, found {len(pages)}"
    for path, title in pages:
        response = app.get(path)
        assert title in response.html.title.get_text(), path
        assert response.html.h1.get_text(strip=True) == title, path


def test_the_section_is_on_the_home_page(portal_app_factory):
    app = portal_app_factory(plugins=[PLUGIN], strict=True)
    home = app.get("/")
    assert 'href="http://localhost/flask/"' in home.text
