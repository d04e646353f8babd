"""A reader's comment, a reply to it and a rating, through the page in a real browser."""

import uuid

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

PAGE = "/teahouse/cups/"


def test_comment_reply_and_rating(page, portal_server):
    page.goto(portal_server + PAGE)
    words = f"Porcelain or glass? {uuid.uuid4().hex[:6]}"
    page.fill("#comment-name", "Ada")
    page.fill("#comment-body", words)
    page.get_by_role("button", name="Post comment").click()
    comment = page.get_by_role("article", name="Ada")
    expect(comment).to_be_visible()
    expect(comment).to_contain_text("Ada")

    comment.get_by_role("link", name="Reply to Ada").click()
    expect(page.locator("#comment-form-title, [data-replying]").first).to_contain_text("Ada")
    page.fill("#comment-name", "Grace")
    page.fill("#comment-body", "Glass, to *see* the colour.")
    page.get_by_role("button", name="Post comment").click()
    reply = page.get_by_role("article", name="Grace")
    expect(reply).to_be_visible()
    expect(reply.locator("em")).to_have_text("see")
    # Shown as an answer: nested in Ada's thread.
    expect(comment.get_by_role("article", name="Grace")).to_have_count(1)

    page.get_by_role("button", name="4 stars out of 5").click()
    expect(page.locator("[data-rating-text]")).to_contain_text("Rated 4.0 out of 5 by 1 reader")
    page.reload()
    # The page is the same for every reader; the reader's own rating is asked for.
    page.locator("#rating").scroll_into_view_if_needed()
    expect(page.get_by_role("button", name="4 stars out of 5")).to_have_attribute("aria-pressed", "true")
