"""Reading on a phone (390x844) and on a desktop (1280x800): the page title within the
first 300 pixels of a phone's screen, nothing scrolls sideways but tables and code inside
themselves, the drawer opens and closes by keyboard and by touch, nothing shifts after the
page is drawn (cumulative layout shift 0), and touch screens are not told to press keys."""

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PAGES = ["/", "/teahouse/", "/teahouse/brewing/", "/teahouse/blends/", "/@@search?q=water"]

# Every layout shift since the page started, as the browser measured it.
LAYOUT_SHIFT = """() => new Promise((resolve) => {
    let total = 0;
    new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) { if (!entry.hadRecentInput) total += entry.value; }
    }).observe({type: "layout-shift", buffered: true});
    setTimeout(() => resolve(total), 500);
})"""


def test_on_a_phone_the_title_is_on_the_first_screen(open_page, portal_server):
    page = open_page(**PHONE)
    for url in ("/teahouse/brewing/", "/teahouse/", "/guide/"):
        page.goto(portal_server + url)
        box = page.locator("main h1").bounding_box()
        assert box["y"] + box["height"] <= 300, f"{url}: the title ends at {box['y'] + box['height']}px"


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_nothing_scrolls_sideways_but_tables_and_code_inside_themselves(open_page, portal_server, device):
    page = open_page(**(PHONE if device == "phone" else DESKTOP))
    width = (PHONE if device == "phone" else DESKTOP)["viewport"]["width"]
    for url in PAGES:
        page.goto(portal_server + url)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, url
    if device == "phone":
        page.goto(portal_server + "/teahouse/blends/")
        for selector in (".doc__body table", ".doc__body pre"):
            inner = page.evaluate(f"""() => {{
                const el = document.querySelector({selector!r});
                const box = el.closest('.table-wrap') || el;
                return [box.scrollWidth, box.clientWidth];
            }}""")
            assert inner[0] > inner[1], f"{selector} does not scroll inside itself: {inner}"


def drawer(page):
    return page.locator("#drawer-panel")


def test_the_drawer_opens_and_closes_by_keyboard(open_page, portal_server):
    page = open_page(**PHONE)
    page.goto(portal_server + "/teahouse/brewing/")
    expect(drawer(page)).to_be_hidden()
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the drawer's switch
    expect(page.locator("#drawer")).to_be_focused()
    page.keyboard.press("Space")
    expect(drawer(page)).to_be_visible()
    expect(drawer(page).get_by_role("link", name="Kettles")).to_be_visible()
    page.keyboard.press("Escape")
    expect(drawer(page)).to_be_hidden()
    expect(page.locator("#drawer")).to_be_focused()
    page.keyboard.press("Space")
    expect(drawer(page)).to_be_visible()
    page.keyboard.press("Space")
    expect(drawer(page)).to_be_hidden()


def test_the_drawer_opens_and_closes_by_touch_without_javascript(open_page, portal_server):
    page = open_page(java_script_enabled=False, **PHONE)
    page.goto(portal_server + "/teahouse/brewing/")
    page.locator("#drawer").tap()  # the menu icon: its switch lies over it
    expect(drawer(page)).to_be_visible()
    expect(drawer(page).get_by_role("link", name="Teahouse").first).to_be_visible()
    page.locator(".drawer__scrim").tap(position={"x": 370, "y": 400})  # beside the drawer
    expect(drawer(page)).to_be_hidden()
    page.locator("#drawer").tap()
    drawer(page).get_by_role("link", name="Kettles").tap()
    expect(page).to_have_url(portal_server + "/teahouse/kettles/")


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_nothing_shifts_after_the_page_is_drawn(open_page, portal_server, device, scheme):
    page = open_page(color_scheme=scheme, **(PHONE if device == "phone" else DESKTOP))
    for url in PAGES:
        page.goto(portal_server + url)
        page.wait_for_load_state("load")
        assert page.evaluate(LAYOUT_SHIFT) == 0, f"{url} shifted ({device}, {scheme})"


def test_a_chosen_theme_draws_without_a_shift(open_page, portal_server):
    page = open_page(color_scheme="light", **PHONE)
    page.goto(portal_server + "/-/theme?set=dark&next=/teahouse/brewing/")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.evaluate(LAYOUT_SHIFT) == 0


def test_touch_screens_are_not_told_to_press_keys(open_page, portal_server):
    phone = open_page(**PHONE)
    phone.goto(portal_server + "/teahouse/brewing/")
    expect(phone.locator(".search-box__key")).to_be_hidden()
    expect(phone.locator(".shortcuts")).to_be_hidden()
    assert phone.locator("#site-search-q").get_attribute("placeholder") == "Search"
    desktop = open_page(**DESKTOP)
    desktop.goto(portal_server + "/teahouse/brewing/")
    expect(desktop.locator(".search-box__key")).to_be_visible()
