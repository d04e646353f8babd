"""Search in a real browser: "/" reaches the box, results appear as you type, the keyboard
moves through them and opens one at its heading with the words marked; the results page and
the marks work with and without JavaScript."""

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect


def test_search_by_keyboard(page, portal_server):
    page.goto(portal_server + "/teahouse/cups/")
    page.keyboard.press("/")
    box = page.locator("#site-search-q")
    expect(box).to_be_focused()
    page.keyboard.type("gooseneck")
    results = page.locator("#site-search-results")
    expect(results).to_be_visible()
    expect(results.get_by_role("status")).to_contain_text("1 page matches")
    first = results.locator(".search-live__hit").first
    expect(first).to_contain_text("Kettles")
    expect(first.locator("mark")).to_have_text("Gooseneck")
    page.keyboard.press("ArrowDown")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(portal_server + "/teahouse/kettles/?h=gooseneck")
    expect(page.locator(".doc__body mark.search-mark").first).to_have_text("Gooseneck")


def test_results_land_on_the_heading(page, portal_server):
    page.goto(portal_server + "/")
    page.keyboard.press("/")
    page.keyboard.type("thermostat")
    hit = page.locator("#site-search-results .search-live__hit").first
    expect(hit).to_contain_text("Kettles › Electric kettles")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(portal_server + "/teahouse/kettles/?h=thermostat#electric-kettles")


def test_escape_closes_and_enter_opens_the_results_page(page, portal_server):
    page.goto(portal_server + "/")
    page.keyboard.press("/")
    page.keyboard.type("steeping leaves")
    results = page.locator("#site-search-results")
    expect(results).to_be_visible()
    page.keyboard.press("Escape")
    expect(results).to_be_hidden()
    expect(page.locator("#site-search-q")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(portal_server + "/@@search?q=steeping+leaves")
    expect(page.locator(".search-result__title a").first).to_have_attribute(
        "href", portal_server + "/teahouse/brewing/?h=steeping+leaves#steeping")
    expect(page.locator(".search-result__snippet mark").first).to_be_visible()


def test_results_page_without_javascript(open_page, portal_server):
    page = open_page(java_script_enabled=False)
    page.goto(portal_server + "/teahouse/")
    page.fill("#site-search-q", "porcelain")
    page.press("#site-search-q", "Enter")
    expect(page).to_have_url(portal_server + "/@@search?q=porcelain")
    expect(page.locator(".search-summary")).to_contain_text("1 page matches")
    page.select_option("#search-page-section", "teahouse")
    page.click(".search-form button[type=submit]")
    expect(page.locator(".search-result__title a")).to_have_text("Cups")


@pytest.mark.parametrize("javascript", [True, False])
def test_the_words_of_a_search_are_marked_on_the_page(open_page, portal_server, javascript):
    page = open_page(java_script_enabled=javascript)
    page.goto(portal_server + "/@@search?q=porcelain")
    page.click(".search-result__title a")
    expect(page).to_have_url(portal_server + "/teahouse/cups/?h=porcelain")
    expect(page.locator(".doc__body mark.search-mark")).to_have_text("Porcelain")


def test_a_hostile_h_is_only_text(page, portal_server):
    page.goto(portal_server + "/teahouse/cups/?h=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3Eporcelain")
    expect(page.locator(".doc__body mark.search-mark")).to_have_text("Porcelain")
    expect(page.locator(".doc__body img")).to_have_count(0)
