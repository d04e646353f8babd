"""The events of ``portal.events`` as a plugin receives them (contract 1.1): a comment held
for moderation never fires ``CommentPosted`` (a notification plugin must not leak it), it
fires ``CommentHeld``, and ``CommentPosted`` when a moderator approves it; approving,
hiding and deleting fire events of their own; docs/events.md documents every event and
its payload. On SQLite and PostgreSQL."""

import importlib
import inspect
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import events
from portal.discussion.models import Comment
from portal.testing import log_in_moderator, with_token

PAGE = "/demo/first/"
RECORDER = {
    "portal_recorder/__init__.py": """
        from portal.events import CommentEvent, RatingChanged

        SEEN = []

        def record(event):
            facts = {"event": type(event).__name__, "visible": event.visible,
                     "page_key": event.page_key, "body": event.comment.body_source}
            for name in ("approved", "previous_state", "by_moderator"):
                if hasattr(event, name):
                    facts[name] = getattr(event, name)
            SEEN.append(facts)

        def rated(event):
            SEEN.append({"event": "RatingChanged", "page_key": event.page_key, "stars": event.stars})

        def includeme(config):
            config.add_subscriber(record, CommentEvent)
            config.add_subscriber(rated, RatingChanged)
    """,
}


@pytest.fixture
def site(demo_app, installed_plugin):
    installed_plugin("recorder", RECORDER)

    def make(**settings):
        app = demo_app(**{"portal.plugins.only": "demo recorder", **settings})
        seen = importlib.import_module("portal_recorder").SEEN
        seen.clear()
        return app, seen

    return make


def post(app, body):
    form = with_token(app, app.get(PAGE).forms["comment-form"])
    form["body"] = body
    form.submit(status=303)


def comment_id(app, body):
    with app.app.registry["dbsession_factory"]() as session:
        return session.scalar(sa.select(Comment.id).where(Comment.body_source == body))


def act(moderator, do):
    queue = moderator.get("/-/moderation/@@recent")
    form = [f for f in queue.forms.values() if f.action.endswith("@@act")][0]
    form.submit("do", value=do, status=303)


def test_a_held_comment_fires_comment_held_and_comment_posted_only_once_approved(site):
    import webtest

    app, seen = site(**{"portal.comments.moderation": "all"})
    post(app, "held back")
    assert seen == [{"event": "CommentHeld", "visible": False, "page_key": "demo/first", "body": "held back"}]
    moderator = log_in_moderator(webtest.TestApp(app.app))
    ident = comment_id(app, "held back")
    seen.clear()
    act(moderator, f"approve:{ident}")
    assert seen == [
        {"event": "CommentApproved", "visible": True, "page_key": "demo/first", "body": "held back",
         "previous_state": "pending"},
        {"event": "CommentPosted", "visible": True, "page_key": "demo/first", "body": "held back",
         "approved": True},
    ]
    seen.clear()
    act(moderator, f"hide:{ident}")
    act(moderator, f"approve:{ident}")  # shown again: approved, but not posted a second time
    act(moderator, f"delete:{ident}")
    assert [(e["event"], e.get("previous_state"), e.get("by_moderator"), e["visible"]) for e in seen] == [
        ("CommentHidden", "approved", None, False),
        ("CommentApproved", "hidden", None, True),
        ("CommentDeleted", None, True, False),
    ]


def test_a_visible_comment_fires_comment_posted_and_its_author_deleting_it_fires_comment_deleted(site):
    app, seen = site()
    post(app, "right away")
    assert seen == [{"event": "CommentPosted", "visible": True, "page_key": "demo/first",
                     "body": "right away", "approved": False}]
    seen.clear()
    page = app.get(PAGE)
    delete = [f for f in page.forms.values() if f.action.endswith("@@delete-comment")][0]
    delete.submit(status=303)
    assert seen == [{"event": "CommentDeleted", "visible": False, "page_key": "demo/first",
                     "body": "right away", "by_moderator": False}]


# docs/events.md matches the code ---------------------------------------------------------

DOC = (Path(__file__).parents[1] / "docs" / "events.md").read_text(encoding="utf-8")


def event_classes():
    return [cls for name, cls in vars(events).items()
            if inspect.isclass(cls) and cls.__module__ == events.__name__]


def payload(cls):
    """The attributes an event carries: its constructor's arguments and its properties."""
    fields = set()
    for klass in cls.__mro__:
        if klass is object:
            continue
        fields |= {n for n in inspect.signature(klass.__init__).parameters if n != "self"}
        fields |= {n for n, v in vars(klass).items() if isinstance(v, property)}
    return fields


@pytest.mark.parametrize("cls", event_classes(), ids=lambda c: c.__name__)
def test_docs_events_md_documents_every_event_and_its_payload(cls):
    section = re.search(rf"^## `{cls.__name__}`\n(.*?)(?=^## |\Z)", DOC, re.M | re.S)
    assert section, f"docs/events.md has no '## `{cls.__name__}`' section"
    for field in payload(cls):
        assert re.search(rf"^\| `{field}` \|", section.group(1), re.M), \
            f"docs/events.md: {cls.__name__} does not document `{field}`"
