"""Pages without any comment or rating are drawn without asking the database
(portal.discussion.activity), and that never hides a comment: one posted through this
process shows at once, one written by another process within
``portal.discussion.refresh_seconds``, and its author sees it at once anywhere."""

import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portal.discussion.models import Comment, Rating
from portal.testing import with_token

PAGE, OTHER = "/demo/first/", "/demo/second/"
PENDING = {"Cookie": "portal_pending=1"}


@pytest.fixture
def statements():
    """``statements(app)``: a list that collects every SQL statement the app runs."""
    seen = []

    def watch(app):
        engine = app.app.registry["dbengine"]

        def record(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        return seen

    return watch


def post_comment(app, body, url=PAGE):
    form = with_token(app, app.get(url).forms["comment-form"])
    form["body"] = body
    return form.submit(status=303)


def insert_elsewhere(app, page_key, body="Written by another process."):
    """A comment committed straight to the database, as another process does."""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    with app.app.registry["dbsession_factory"]() as s:
        row = Comment(page_key=page_key, author_key="elsewhere", body_source=body,
                      body_html=f"<p>{body}</p>", state="approved", depth=0,
                      created_at=now, updated_at=now, client_hash="x")
        s.add(row)
        s.flush()
        row.root_id = row.id
        s.commit()


def test_a_page_without_discussion_is_drawn_for_a_reader_without_a_query(demo_app, statements,
                                                                         portal_clock):
    app = demo_app(clock=portal_clock, **{"portal.discussion.refresh_seconds": "5"})
    app.get(PAGE, headers=PENDING)  # the first view reads which pages have discussion
    seen = statements(app)
    page = app.get(PAGE, headers=PENDING)
    assert 'id="comment-form"' in page.text
    assert seen == []
    # A section's landing (its cards' counts, its best-rated pages) likewise.
    app.get("/demo/", headers=PENDING)
    assert seen == []


def test_off_by_default_every_rendered_page_asks_the_database(demo_app, statements):
    app = demo_app()
    app.get(PAGE, headers=PENDING)
    seen = statements(app)
    app.get(PAGE, headers=PENDING)
    assert any("FROM comments" in s for s in seen)


def test_a_comment_posted_through_this_process_shows_at_once(demo_app, portal_clock):
    app = demo_app(clock=portal_clock, **{"portal.discussion.refresh_seconds": "60"})
    app.get(PAGE)
    post_comment(app, "Seen at once.")
    reader = type(app)(app.app)  # another browser, no cookies, same process
    assert "Seen at once." in reader.get(PAGE, headers=PENDING).text
    assert "Seen at once." in reader.get(PAGE).text
    # The section's card counts it too.
    assert "1 comment" in reader.get("/demo/", headers=PENDING).text


def test_another_process_s_comment_shows_within_the_refresh_delay(demo_app, portal_clock):
    app = demo_app(clock=portal_clock, **{"portal.discussion.refresh_seconds": "5"})
    assert "another process" not in app.get(OTHER, headers=PENDING).text
    insert_elsewhere(app, "demo/second")
    portal_clock.advance(4)
    assert "another process" not in app.get(OTHER, headers=PENDING).text  # not yet read
    portal_clock.advance(1)
    assert "Written by another process." in app.get(OTHER, headers=PENDING).text


def test_an_author_and_a_moderator_are_always_asked_about(demo_app, portal_clock):
    app = demo_app(clock=portal_clock, **{"portal.discussion.refresh_seconds": "60"})
    app.get(OTHER, headers=PENDING)
    insert_elsewhere(app, "demo/second", "Mine, from the other process.")
    # An author within the edit window (posting set the grant) sees it at once, whichever
    # process wrote it; so does a moderator.
    for cookie in ("portal_edit_1=grant", "portal_session=abc"):
        assert "Mine, from the other process." in app.get(OTHER, headers={"Cookie": cookie}).text
    assert "Mine, from the other process." not in app.get(OTHER, headers=PENDING).text


def test_a_rating_makes_a_page_discussed(demo_app, portal_clock):
    app = demo_app(clock=portal_clock, **{"portal.discussion.refresh_seconds": "60"})
    app.get(PAGE)
    token = app.get("/api/v1/csrf").json["csrf_token"]
    app.put_json("/api/v1/pages/demo/first/rating/mine", {"stars": 4},
                 headers={"X-CSRF-Token": token})
    with app.app.registry["dbsession_factory"]() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Rating)) == 1
    reader = type(app)(app.app)
    assert "Rated <strong>4.0</strong> out of 5 by 1 reader." in reader.get(PAGE, headers=PENDING).text
