"""pyramid_tm and pyramid_retry around real requests, on SQLite and PostgreSQL: a request
that fails after writing leaves nothing written; a request that meets a transient
database error (SQLite "database is locked", PostgreSQL serialization failure 40001) is
run again and stored once; if it keeps failing the reader gets a 503 and nothing is
stored. The views are a test-only plugin's, installed as a real distribution, and go
through the application's real tweens (no shared test transaction)."""

import sqlalchemy as sa

from portal.discussion.models import Comment, Rating
from portal.testing import with_token

PLUGIN = {"portal_txn/__init__.py": '''
import sqlite3

import sqlalchemy as sa
from pyramid.response import Response
from pyramid_retry import IBeforeRetry

from portal.discussion.models import Comment
from portal.discussion.models import Rating
from portal.resources import Page

attempts = []
holders = []


def write_then_fail(context, request):
    request.dbsession.add(Comment(page_key=context.key, body_source="doomed",
                                  body_html="<p>doomed</p>"))
    request.dbsession.add(Rating(page_key=context.key, reader_key="doomed", stars=1))
    request.dbsession.flush()  # the rows are in the database's transaction now
    raise RuntimeError("something broke after the write")


def write(context, request):
    request.dbsession.add(Comment(page_key=context.key, body_source="kept",
                                  body_html="<p>kept</p>"))
    return Response("written")


def contended(context, request):
    """Meets a real transient error on the first attempt: another connection holds
    SQLite's write lock, or on PostgreSQL changes the row this transaction read."""
    attempt = request.environ["retry.attempt"]
    attempts.append(attempt)
    dbsession = request.dbsession
    engine = request.registry["dbengine"]
    if engine.dialect.name == "sqlite":
        if attempt == 0 or request.registry.settings["retry.attempts"] == 1:
            holder = sqlite3.connect(engine.url.database, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")  # the write lock, until released
            holders.append(holder)
            dbsession.execute(sa.text("PRAGMA busy_timeout = 50"))
        dbsession.add(Rating(page_key=context.key, reader_key="contended", stars=4))
        dbsession.flush()
    else:
        dbsession.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        row = dbsession.scalar(sa.select(Rating).where(Rating.reader_key == "contended"))
        if attempt == 0 or request.registry.settings["retry.attempts"] == 1:
            with engine.connect() as other:  # a concurrent request, committed meanwhile
                other.execute(sa.update(Rating).where(Rating.id == row.id).values(stars=2))
                other.commit()
        row.stars = 4
        dbsession.flush()
    return Response(f"stored on attempt {attempt}")


def release(event):
    while holders:
        holders.pop().close()


def includeme(config):
    config.add_view(write_then_fail, context=Page, name="write-then-fail",
                    request_method="POST", require_csrf=False, permission="view")
    config.add_view(write, context=Page, name="write", request_method="POST",
                    require_csrf=False, permission="view")
    config.add_view(contended, context=Page, name="contended", request_method="POST",
                    require_csrf=False, permission="view")
    config.add_subscriber(release, IBeforeRetry)
'''}


def build(demo_app, installed_plugin, **settings):
    installed_plugin("txn", PLUGIN)
    return demo_app(**{"portal.plugins.only": "demo txn", **settings})


def count(app, model, *where):
    with app.app.registry["dbsession_factory"]() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_an_exception_after_a_write_leaves_nothing_written(demo_app, installed_plugin):
    app = build(demo_app, installed_plugin)
    # A 500, or the 503 of a plugin that stepped aside (portal.isolation): a failure.
    assert app.post("/demo/first/@@write-then-fail", expect_errors=True).status_int in (500, 503)
    assert count(app, Comment) == 0 and count(app, Rating) == 0
    # The same path without the exception commits: the test above can fail.
    app.post("/demo/first/@@write", status=200)
    assert count(app, Comment) == 1


def test_a_refused_form_post_stores_nothing_it_wrote_first(demo_app):
    """The rate limit writes its client event before counting; a post over the limit
    raises, and the event goes with the aborted transaction."""
    app = demo_app(**{"portal.comments.rate_limit": "0"})
    form = with_token(app, app.get("/demo/first/").forms["comment-form"])
    form["body"] = "over the limit"
    form.submit(status=429)
    from portal.abuse.models import ClientEvent

    assert count(app, Comment) == 0 and count(app, ClientEvent) == 0


def _seed(app):
    with app.app.registry["dbsession_factory"]() as s:
        s.add(Rating(page_key="demo/first", reader_key="contended", stars=1))
        s.commit()


def test_a_transient_database_error_is_retried_and_stored_once(demo_app, installed_plugin):
    app = build(demo_app, installed_plugin)
    if app.app.registry["dbengine"].dialect.name == "postgresql":
        _seed(app)
    import portal_txn

    answer = app.post("/demo/first/@@contended", status=200)
    assert answer.text == "stored on attempt 1"
    assert portal_txn.attempts == [0, 1]
    assert count(app, Rating, Rating.reader_key == "contended") == 1
    with app.app.registry["dbsession_factory"]() as s:
        assert s.scalar(sa.select(Rating.stars).where(Rating.reader_key == "contended")) == 4


def test_a_transient_error_on_the_last_attempt_is_a_503_and_stores_nothing(
        demo_app, installed_plugin):
    app = build(demo_app, installed_plugin, **{"retry.attempts": "1"})
    postgresql = app.app.registry["dbengine"].dialect.name == "postgresql"
    if postgresql:
        _seed(app)
    import portal_txn

    answer = app.post("/demo/first/@@contended", status=503)
    assert answer.headers["Retry-After"] == "1"
    assert "Nothing was saved" in answer.text
    portal_txn.release(None)
    assert portal_txn.attempts == [0]
    with app.app.registry["dbsession_factory"]() as s:
        stars = s.scalars(sa.select(Rating.stars).where(Rating.reader_key == "contended")).all()
    # Only what the other connection committed is there: 2 on PostgreSQL, nothing on SQLite.
    assert stars == ([2] if postgresql else [])
