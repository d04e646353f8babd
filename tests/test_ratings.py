"""Ratings: one per reader per page (a signed reader cookie, or a moderator's login),
enforced by a unique constraint and written as an upsert; the summary on every page;
best-rated pages ranked by the Wilson lower bound; the form without JavaScript (303) and
with it (JSON, updated in place, in a real Chromium). On SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa
import webtest

from portal.discussion.models import Rating
from portal.discussion.rating_queries import best_rated, wilson_lower_bound
from portal.moderation.models import Moderator
from portal.moderation.passwords import hash_password
from portal.testing import with_token

PAGE = "/demo/first/"


def session_of(app):
    return app.app.registry["dbsession_factory"]()


def ratings(app):
    with session_of(app) as s:
        return [(r.page_key, r.reader_key, r.stars)
                for r in s.scalars(sa.select(Rating).order_by(Rating.id))]


def reader(app, addr):
    return webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": addr})


def rate(app, stars, url=PAGE, status=303):
    page = app.get(url)
    form = with_token(app, [f for f in page.forms.values() if f.action.endswith("@@rate")][0])
    # One tap: each star is a submit button of the form.
    return form.submit("stars", index=stars - 1, status=status)


def test_a_rating_without_javascript_is_a_post_answered_303_back_to_the_page(demo_app):
    app = demo_app()
    answer = rate(app, 4)
    assert answer.location == "http://localhost/demo/first/#rating"
    page = answer.follow()
    assert "Rated <strong>4.0</strong> out of 5 by 1 reader." in page.text
    assert "(you gave 4 stars)" in page.text
    assert 'value="4" class="rating__star rating__star--on"' in page.text
    assert 'aria-label="4 stars out of 5" aria-pressed="true"' in page.text
    assert '<progress max="1" value="1" data-rating-bar="4"' in page.text
    [(key, reader_key, stars)] = ratings(app)
    assert (key, stars) == ("demo/first", 4) and len(reader_key) == 64
    assert "portal_reader" in app.cookies


def test_one_rating_per_reader_per_page_changeable(demo_app):
    app = demo_app()
    rate(app, 2)
    rate(app, 5)
    rate(app, 3, url="/demo/second/")
    assert [(k, s) for k, _, s in ratings(app)] == [("demo/first", 5), ("demo/second", 3)]
    assert len({r for _, r, _ in ratings(app)}) == 1
    other = reader(app, "192.0.2.60")
    rate(other, 1)
    summary = app.get("/api/v1/pages/demo/first/rating").json
    assert summary["count"] == 2 and summary["mean"] == 3.0
    assert summary["histogram"] == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}
    assert summary["mine"] == 5
    assert other.get("/api/v1/pages/demo/first/rating").json["mine"] == 1
    page = reader(app, "192.0.2.61").get(PAGE).text
    assert "Rated <strong>3.0</strong> out of 5 by 2 readers." in page
    assert "you gave" not in page


def test_the_unique_constraint_holds_in_the_database_itself(demo_app):
    app = demo_app()
    with session_of(app) as s:
        s.add(Rating(page_key="demo/first", reader_key="r1", stars=3))
        s.commit()
        s.add(Rating(page_key="demo/first", reader_key="r1", stars=4))
        with pytest.raises(sa.exc.IntegrityError):
            s.commit()
        s.rollback()
        s.add(Rating(page_key="demo/first", reader_key="r2", stars=6))
        with pytest.raises(sa.exc.IntegrityError):
            s.commit()


@pytest.mark.parametrize("stars", [None, "0", "6", "4.5", "x", "", "-1"])
def test_a_bad_rating_is_refused_and_nothing_is_stored(demo_app, stars):
    app = demo_app()
    page = app.get(PAGE)
    form = with_token(app, [f for f in page.forms.values() if f.action.endswith("@@rate")][0])
    fields = dict(form.submit_fields())  # no star pressed: no "stars" at all
    if stars is not None:
        fields["stars"] = stars
    answer = app.post(form.action, fields, status=400)
    assert "Rating must be an integer from 1 to 5." in answer.text
    assert ratings(app) == []
    assert "portal_reader" not in app.cookies or ratings(app) == []


def test_a_rating_without_the_csrf_token_is_refused(demo_app):
    app = demo_app()
    app.get(PAGE)
    app.post(PAGE + "@@rate", {"stars": "5"}, status=400)
    reader(app, "192.0.2.62").post(PAGE + "@@rate", {"stars": "5"}, status=400)
    assert ratings(app) == []


def test_a_moderator_rates_as_themselves_from_any_browser(demo_app):
    app = demo_app()
    with session_of(app) as s:
        s.add(Moderator(name="mod", password_hash=hash_password("a long password")))
        s.commit()
        ident = s.scalar(sa.select(Moderator.id))

    def logged_in(addr):
        browser = reader(app, addr)
        form = browser.get("/-/moderation/@@login").forms["login-form"]
        form["name"], form["password"] = "mod", "a long password"
        form.submit(status=303)
        return browser

    rate(logged_in("192.0.2.63"), 2)
    rate(logged_in("192.0.2.64"), 4)
    assert ratings(app) == [("demo/first", f"moderator:{ident}", 4)]


def test_every_page_shows_the_summary(demo_app):
    app = demo_app()
    for url in ("/demo/", "/demo/second/", "/demo/guide/deep/"):
        page = app.get(url).text
        assert 'id="rating"' in page and "No ratings yet" in page
        assert "data-rating-histogram hidden" in page  # nothing to show yet


def test_wilson_lower_bound_prefers_evidence_to_a_lucky_mean():
    one_five = wilson_lower_bound(5, 1)
    forty_good = wilson_lower_bound(40 * 4.6, 40)
    assert forty_good > one_five
    assert wilson_lower_bound(0, 0) == 0.0
    assert 0.0 <= wilson_lower_bound(5, 5) <= 1.0
    assert wilson_lower_bound(5 * 100, 100) > wilson_lower_bound(5 * 10, 10)


def test_best_rated_pages_are_ranked_by_the_lower_bound_on_the_home_and_section_pages(demo_app):
    app = demo_app()
    with session_of(app) as s:
        # One perfect rating for "second"; twenty good ones for "guide/deep"; middling
        # ones for "first"; and ratings of a page that no longer exists.
        s.add(Rating(page_key="demo/second", reader_key="a", stars=5))
        s.add_all(Rating(page_key="demo/guide/deep", reader_key=f"d{i}", stars=4 + i % 2)
                  for i in range(20))
        s.add_all(Rating(page_key="demo/first", reader_key=f"f{i}", stars=3) for i in range(20))
        s.add_all(Rating(page_key="demo/gone", reader_key=f"g{i}", stars=5) for i in range(50))
        s.commit()
        ranked = best_rated(s, page_keys={"demo/second", "demo/guide/deep", "demo/first"})
    assert [r.page_key for r in ranked] == ["demo/guide/deep", "demo/first", "demo/second"]
    home = app.get("/").text
    block = home[home.index('id="best-rated-title"'):]
    assert block.index("Deep page") < block.index("First page") < block.index("Second page")
    assert "gone" not in block
    assert "4.5 out of 5, 20 ratings" in block
    section = app.get("/demo/").text
    block = section[section.index('id="best-rated-title"'):]
    assert "Best-rated pages in Demo" in block
    assert block.index("Deep page") < block.index("First page")
    guide = app.get("/demo/guide/").text
    assert "Best-rated pages" not in guide  # only sections list them


def test_plugins_hear_comments_posted_and_ratings_changed(demo_app, installed_plugin):
    installed_plugin("spy", {"portal_spy/__init__.py": """
        from portal.events import CommentPosted, RatingChanged

        seen = []

        def includeme(config):
            config.add_subscriber(
                lambda e: seen.append(("comment", e.comment.page_key, e.comment.body_source)),
                CommentPosted)
            config.add_subscriber(lambda e: seen.append(("rating", e.page_key, e.stars)),
                                  RatingChanged)
    """})
    app = demo_app(**{"portal.plugins.only": "demo spy"})
    rate(app, 5)
    form = with_token(app, app.get(PAGE).forms["comment-form"])
    form["body"] = "heard"
    form.submit(status=303)
    import portal_spy

    assert portal_spy.seen == [("rating", "demo/first", 5), ("comment", "demo/first", "heard")]


# -- with JavaScript, in a real browser ------------------------------------------------------

@pytest.mark.browser
def test_with_javascript_the_rating_is_sent_as_json_and_the_summary_updates_in_place(
        demo_app, serve, chromium):
    app = demo_app()
    base = serve(app.app)
    page = chromium.new_page()
    posts, puts = [], []
    page.on("request", lambda r: (puts if r.method == "PUT" else posts if r.method == "POST"
                                  else []).append(r.url))
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + PAGE)
    page.get_by_role("button", name="4 stars out of 5").click()  # one tap
    status = page.locator("[data-rating-status]")
    status.filter(has_text="Saved: you gave 4 stars.").wait_for(timeout=10000)
    assert page.url == base + PAGE  # no page load
    assert "Rated 4.0 out of 5 by 1 reader." in page.locator("[data-rating-text]").inner_text()
    assert page.locator('[data-rating-n="4"]').inner_text() == "1"
    assert page.locator("[data-rating-mine]").inner_text() == " (you gave 4 stars)"
    assert page.locator("[data-rating-histogram]").is_visible()
    page.get_by_role("button", name="2 stars out of 5").click()
    status.filter(has_text="Saved: you gave 2 stars.").wait_for(timeout=10000)
    assert page.locator('[data-rating-n="4"]').inner_text() == "0"
    assert page.locator('[data-rating-n="2"]').inner_text() == "1"
    assert puts == [base + "/api/v1/pages/demo/first/rating/mine"] * 2 and posts == []
    assert errors == []
    assert [(k, s) for k, _, s in ratings(app)] == [("demo/first", 2)]


# -- abuse limits (issue 12) ----------------------------------------------------------------

def test_ratings_are_limited_per_address_however_many_readers_it_claims_to_be(demo_app):
    """A script without cookies is a new reader on every request: the address limit is
    what keeps it from stuffing a page onto the best-rated list."""
    app = demo_app(**{"portal.ratings.rate_limit": "5"})
    answers = [reader(app, "198.51.100.20").put_json(
        "/api/v1/pages/demo/first/rating/mine", {"stars": 5}, status="*").status_int
        for _ in range(12)]
    assert answers == [200] * 5 + [429] * 7
    assert len(ratings(app)) == 5
    other = reader(app, "198.51.100.21")
    assert other.put_json("/api/v1/pages/demo/first/rating/mine", {"stars": 1}).json["count"] == 6


def test_ratings_are_limited_per_reader_and_the_window_passes(demo_app, portal_clock):
    app = demo_app(clock=portal_clock, **{"portal.ratings.reader_limit": "3",
                                          "portal.ratings.rate_window": "600"})
    for stars in (1, 2, 3):
        rate(app, stars)
    answer = rate(app, 4, status=429)
    assert answer.headers["Retry-After"] and "too many ratings" in answer.text
    assert [s for _, _, s in ratings(app)] == [3]
    portal_clock.advance(601)
    rate(app, 5)
    assert [s for _, _, s in ratings(app)] == [5]
