"""Accessibility: axe-core finds no serious or critical violation on every page type (home,
section, page, a page with a wide table, search results, the 404 page, the plugins page, the
login, the moderation queue and missed searches), in light and dark mode, on a phone
(390x844) and a desktop (1280x800); the keyboard alone reaches everything, and focus is
visible. The screenshots of every page type are saved on the way under screenshots/."""

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

PAGES = {
    "home": "/",
    "section": "/teahouse/",
    "page": "/teahouse/brewing/",
    "wide-table": "/teahouse/blends/",
    "search": "/@@search?q=water",
    "404": "/teahouse/green-tea-brewing",
    "plugins": "/-/plugins",
    "login": "/-/moderation/@@login",
}
# A phone and a desktop (the screenshots of every page type are taken at both).
DEVICES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_violations(open_page, watch, portal_server, axe, screenshot, name, scheme):
    if name == "404":
        watch.allowed_errors.append("404 (Not Found)")
    for label, viewport in DEVICES.items():
        page = open_page(color_scheme=scheme, viewport=viewport)
        page.goto(portal_server + PAGES[name])
        assert axe(page) == [], f"{name} ({scheme}, {label})"
        screenshot(page, f"{name}-{scheme}-{label}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_moderation_queue(open_page, portal_server, axe, screenshot, log_in, scheme):
    for label, viewport in DEVICES.items():
        page = open_page(color_scheme=scheme, viewport=viewport)
        page.goto(portal_server + "/@@search?q=xqvjz")  # a miss to list (no word of the site is near it)
        log_in(page, portal_server)
        expect(page.locator(".moderation__item")).to_contain_text("copper kettles")
        assert axe(page) == [], f"moderation queue ({scheme}, {label})"
        screenshot(page, f"moderation-{scheme}-{label}")
        page.goto(portal_server + "/-/moderation/@@searches")
        expect(page.locator(".search-misses")).to_contain_text("xqvjz")
        assert axe(page) == [], f"missed searches ({scheme}, {label})"
        screenshot(page, f"missed-searches-{scheme}-{label}")


@pytest.fixture(scope="module")
def insights_data(chromium, portal_server):
    """Ratings from four readers and a comment on a page no other test rates, sent through
    the JSON API as the pages' scripts send them, and a search that finds nothing."""
    base = portal_server
    for stars in (2, 3, 4, 5):
        reader = chromium.new_context()
        answer = reader.request.put(f"{base}/api/v1/pages/teahouse/kettles/rating/mine",
                                    data={"stars": stars})
        assert answer.ok, answer.text()
        reader.close()
    reader = chromium.new_context()
    token = reader.request.get(f"{base}/api/v1/csrf").json()
    answer = reader.request.post(
        f"{base}/api/v1/pages/teahouse/kettles/comments",
        data={"name": "Ada", "body": "Which kettle keeps 80 C?", "stamp": token["stamp"]},
        headers={"X-CSRF-Token": token["csrf_token"], "Origin": base})
    assert answer.ok, answer.text()
    assert reader.request.get(f"{base}/@@search?q=quokka+zzyzx").ok
    reader.close()


CHART_COLOURS = """() => {
    const probe = document.createElement("span");
    probe.style.color = "var(--accent)";
    document.body.append(probe);
    const accent = getComputedStyle(probe).color;
    probe.remove();
    const bar = document.querySelector(".chart__bar--stars");
    const label = document.querySelector(".chart text");
    return {accent, bar: getComputedStyle(bar).fill, text: getComputedStyle(label).fill,
            page: getComputedStyle(document.querySelector("main")).color};
}"""


# The phone and desktop.
INSIGHTS_DEVICES = {"phone": {"width": 390, "height": 844},
                    "desktop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_insights(open_page, portal_server, insights_data, axe, screenshot, log_in, scheme):
    for label, viewport in INSIGHTS_DEVICES.items():
        page = open_page(color_scheme=scheme, viewport=viewport)
        log_in(page, portal_server)
        page.get_by_role("link", name="Insights").click()
        expect(page.locator("h1")).to_have_text("Insights: the whole site")
        expect(page.locator("svg.chart[role=img]")).to_have_count(3)
        expect(page.locator(".insights-misses")).to_contain_text("quokka zzyzx")
        # The charts take the theme's colours: bars the accent, text the page's colour
        # (once insights.css has loaded: the DOM may be there before it on a busy machine).
        page.wait_for_load_state("load")
        colours = page.evaluate(CHART_COLOURS)
        assert colours["bar"] == colours["accent"] and colours["text"] == colours["page"]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert axe(page) == [], f"insights ({scheme}, {label})"
        screenshot(page, f"insights-{scheme}-{label}")
        page.locator(".insights-table").get_by_role("link", name="Teahouse").click()
        expect(page.locator("h1")).to_have_text("Insights: Teahouse")
        assert axe(page) == [], f"insights of a section ({scheme}, {label})"


def test_search_results_as_you_type_are_accessible(page, portal_server, axe, screenshot):
    page.goto(portal_server + "/teahouse/")
    page.keyboard.press("/")
    page.keyboard.type("water")
    expect(page.locator("#site-search-results")).to_be_visible()
    assert axe(page) == []
    screenshot(page, "search-as-you-type-light-desktop")


def focus_ring(page):
    return page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        return {style: s.outlineStyle, width: parseFloat(s.outlineWidth)};
    }""")


def test_keyboard_only(page, portal_server):
    page.goto(portal_server + "/teahouse/brewing/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    ring = focus_ring(page)
    assert ring["style"] != "none" and ring["width"] >= 2
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    # Every focusable control shows a focus ring when reached with Tab.
    seen = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        key = page.evaluate("document.activeElement.outerHTML.slice(0, 80)")
        if key in seen or key.startswith("<body"):  # past the last control
            continue
        seen.add(key)
        ring = focus_ring(page)
        assert ring["style"] != "none" and ring["width"] >= 2, f"no visible focus on {key}"
    # The theme switch works from the keyboard.
    toggle = page.locator("[data-theme-toggle]")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("data-theme-current", "light")
