"""Reading in a real browser: from the home page to a page by its links, the section tree
and the contents that follows scrolling, copy buttons, keyboard shortcuts, dark mode
(system, switched, remembered), narrow screens, print, and the page's meta tags."""

import re

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

PAGE = "/teahouse/brewing/"


def test_home_to_a_page_through_navigation(page, portal_server):
    page.goto(portal_server + "/")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Teahouse").click()
    expect(page).to_have_url(portal_server + "/teahouse/")
    expect(page.locator("h1")).to_have_text("Teahouse")
    page.locator(".cards--pages").get_by_role("link", name="Brewing tea").click()
    expect(page).to_have_url(portal_server + PAGE)
    # The section tree marks the page being read; the breadcrumbs lead back.
    expect(page.locator(".sidebar a[aria-current=page]")).to_have_text("Brewing tea")
    expect(page.locator(".breadcrumbs [aria-current=page]")).to_have_text("Brewing tea")
    # Reading time and the date from the front matter.
    expect(page.locator(".doc__meta")).to_contain_text("min read")
    expect(page.locator(".doc__meta time")).to_have_attribute("datetime", "2025-03-14")
    # Admonitions and heading permalinks.
    expect(page.locator(".admonition.warning")).to_contain_text("Boiling water scalds")
    expect(page.locator("#heating .header-anchor")).to_have_attribute("aria-label", "Permalink to Heating")


def test_contents_follow_the_scrolling(page, portal_server):
    page.goto(portal_server + PAGE)
    aside = page.locator(".toc--aside")
    expect(aside).to_be_visible()
    for heading in ("steeping", "choosing-the-water", "storing-the-leaves"):
        page.locator(f"#{heading}").scroll_into_view_if_needed()
        page.evaluate(f"document.getElementById('{heading}').scrollIntoView({{block: 'start'}})")
        expect(aside.locator("a[aria-current=true]")).to_have_attribute("href", f"#{heading}")
        expect(aside.locator("a[aria-current=true]")).to_have_count(1)


def test_copy_button_copies_the_code(open_page, portal_server):
    page = open_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto(portal_server + PAGE)
    button = page.locator(".code-block__copy").first
    expect(button).to_have_accessible_name(re.compile(r"Copy code \(python\)"))
    button.click()
    expect(button).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("def brew(leaves, water_c=85, minutes=3):")
    expect(page.get_by_role("status").filter(has_text="Code copied")).to_have_count(1)


def test_keyboard_shortcuts_for_previous_and_next(page, portal_server):
    page.goto(portal_server + PAGE)
    expect(page.locator(".shortcuts summary")).to_have_text("Keyboard shortcuts")
    page.keyboard.press("]")
    expect(page).to_have_url(portal_server + "/teahouse/kettles/")
    page.wait_for_load_state()  # the shortcut is the page's script, once loaded
    page.keyboard.press("[")
    expect(page).to_have_url(portal_server + PAGE)
    page.wait_for_load_state()
    # Not while typing: "]" goes into the search box instead.
    page.keyboard.press("/")
    expect(page.locator("#site-search-q")).to_be_focused()
    page.keyboard.type("a]b")
    expect(page.locator("#site-search-q")).to_have_value("a]b")
    expect(page).to_have_url(portal_server + PAGE)


def background(page):
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_dark_mode_follows_the_system(open_page, portal_server):
    page = open_page(color_scheme="dark")
    page.goto(portal_server + PAGE)
    assert background(page) == "rgb(15, 20, 25)"
    light = open_page(color_scheme="light")
    light.goto(portal_server + PAGE)
    assert background(light) == "rgb(255, 255, 255)"


def theme_cookie(page):
    return next((c["value"] for c in page.context.cookies() if c["name"] == "portal_theme"), None)


def test_dark_mode_switch_is_remembered(open_page, portal_server):
    page = open_page(color_scheme="light")
    page.goto(portal_server + "/")
    toggle = page.locator("[data-theme-toggle]")
    expect(toggle).to_have_attribute("data-theme-current", "system")
    toggle.click()  # system -> light
    toggle.click()  # light -> dark
    expect(toggle).to_have_attribute("data-theme-current", "dark")
    expect(toggle).to_have_attribute("aria-label", "Colour theme: dark. Switch to system")
    assert background(page) == "rgb(15, 20, 25)"
    # The background request tells the server, so the next page is drawn dark.
    for _ in range(50):
        if theme_cookie(page) == "dark":
            break
        page.wait_for_timeout(100)
    assert theme_cookie(page) == "dark"
    page.reload()
    # Drawn dark by the server from the first byte: no script decides it.
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == "rgb(15, 20, 25)"
    page.goto(portal_server + PAGE)  # and on the next page
    assert background(page) == "rgb(15, 20, 25)"
    toggle = page.locator("[data-theme-toggle]")
    toggle.click()  # dark -> system (light here)
    assert background(page) == "rgb(255, 255, 255)"
    for _ in range(50):
        if theme_cookie(page) is None:
            break
        page.wait_for_timeout(100)
    page.reload()
    assert background(page) == "rgb(255, 255, 255)"


def test_the_theme_is_chosen_without_javascript(open_page, portal_server):
    page = open_page(color_scheme="light", java_script_enabled=False)
    page.goto(portal_server + PAGE)
    page.locator("[data-theme-toggle]").click()  # a link: the server sets the choice
    expect(page).to_have_url(portal_server + PAGE)
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    page.locator("[data-theme-toggle]").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == "rgb(15, 20, 25)"


def test_readable_at_360_pixels(open_page, portal_server):
    page = open_page(viewport={"width": 360, "height": 780})
    for url in ("/", "/teahouse/", PAGE, "/@@search?q=tea"):
        page.goto(portal_server + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{url} scrolls sideways: {width}px wide"
        expect(page.locator("#site-search-q")).to_be_visible()
    # The contents is inline (the aside needs a wide screen), the tree still there.
    page.goto(portal_server + PAGE)
    expect(page.locator(".toc--inline")).to_be_visible()
    expect(page.locator(".toc--aside")).to_be_hidden()


def test_print_shows_the_text_only(page, portal_server):
    page.goto(portal_server + PAGE)
    page.emulate_media(media="print")
    for hidden in (".site-header", ".sidebar", ".toc--aside", ".pager", ".code-block__copy", ".site-footer"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator(".doc__body")).to_be_visible()


def test_meta_tags(page, portal_server):
    page.goto(portal_server + PAGE)
    head = {
        "canonical": page.locator("link[rel=canonical]").get_attribute("href"),
        "description": page.locator("meta[name=description]").get_attribute("content"),
        "og:title": page.locator("meta[property='og:title']").get_attribute("content"),
        "og:url": page.locator("meta[property='og:url']").get_attribute("content"),
        "og:type": page.locator("meta[property='og:type']").get_attribute("content"),
    }
    assert head == {
        "canonical": portal_server + PAGE,
        "description": "Water, leaves, time and temperature, step by step.",
        "og:title": "Brewing tea · Teahouse · The portal",
        "og:url": portal_server + PAGE,
        "og:type": "article",
    }
    # Fetched, not shown: Chromium's XML viewer styles itself inline, which the CSP refuses.
    response = page.request.get(portal_server + "/sitemap.xml")
    assert response.status == 200 and (portal_server + PAGE) in response.text()
    response = page.request.get(portal_server + "/robots.txt")
    assert f"Sitemap: {portal_server}/sitemap.xml" in response.text()
