"""Moderation at /-/moderation/: the ``portal moderator add`` command, login and logout,
the queue (approve, hide, delete, bulk), recent comments and search; access decided by
the traversal ``__acl__`` and view permissions. On SQLite and PostgreSQL."""

import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa
import webtest
from pyramid.authorization import ACLHelper, Everyone

from portal.discussion.models import Comment
from portal.moderation.models import Moderator
from portal.moderation.passwords import hash_password
from portal.resources import MODERATOR, Moderation
from portal.testing import TEST_SECRET, with_token

PAGE = "/demo/first/"
QUEUE = "/-/moderation/"
PASSWORD = "correct horse battery"


def session_of(app):
    return app.app.registry["dbsession_factory"]()


def comments(app):
    with session_of(app) as s:
        return {c.body_source: c for c in s.scalars(sa.select(Comment))}


def add_moderator(app, name="mod", password=PASSWORD):
    with session_of(app) as s:
        s.add(Moderator(name=name, password_hash=hash_password(password)))
        s.commit()


def post(app, body, reply=None):
    page = app.get(PAGE, params={"reply": reply} if reply else {})
    form = with_token(app, page.forms["comment-form"])
    form["body"] = body
    form.submit(status=303)
    return comments(app)[body]


def log_in(app, name="mod", password=PASSWORD, status=303, came_from=None):
    page = app.get(QUEUE + "@@login", params={"came_from": came_from} if came_from else {})
    form = page.forms["login-form"]
    form["name"] = name
    form["password"] = password
    return form.submit(status=status)


@pytest.fixture
def site(demo_app):
    """A site in "all" mode with a moderator, a reader, and three pending comments."""
    app = demo_app(**{"portal.comments.moderation": "all"})
    add_moderator(app)
    reader = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "192.0.2.50"})
    for body in ("spam spam", "a good question", "a fair point"):
        post(reader, body)
    return app, reader


# -- the command ---------------------------------------------------------------------------

def run_portal(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "portal.ops.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def ini(tmp_path, database_url):
    path = tmp_path / "site.ini"
    path.write_text(textwrap.dedent(f"""
        [app:main]
        use = egg:backend-portal
        sqlalchemy.url = {database_url}
        portal.secret = {TEST_SECRET}
        portal.plugins.only = nothing-needed-here
    """), encoding="utf-8")
    return path


def test_portal_moderator_add_stores_an_argon2_hash_and_the_moderator_can_log_in(demo_app, ini):
    app = demo_app()
    done = run_portal("moderator", "add", str(ini), "ada", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "moderator 'ada' added" in done.stdout
    with session_of(app) as s:
        [moderator] = s.scalars(sa.select(Moderator)).all()
    assert moderator.name == "ada"
    assert moderator.password_hash.startswith("$argon2id$") and PASSWORD not in moderator.password_hash
    log_in(app, "ada")
    assert "Logged in as <strong>ada</strong>" in app.get(QUEUE).text


def test_portal_moderator_add_refuses_a_duplicate_and_a_weak_password(demo_app, ini):
    app = demo_app()
    assert run_portal("moderator", "add", str(ini), "ada", stdin=PASSWORD + "\n").returncode == 0
    again = run_portal("moderator", "add", str(ini), "ada", stdin="another password\n")
    assert again.returncode == 1 and "exists; use --reset" in again.stderr
    weak = run_portal("moderator", "add", str(ini), "bob", stdin="short\n")
    assert weak.returncode == 1 and "at least 10 characters" in weak.stderr
    reset = run_portal("moderator", "add", str(ini), "ada", "--reset", stdin="a new long password\n")
    assert reset.returncode == 0, reset.stderr
    log_in(app, "ada", PASSWORD, status=400)
    log_in(app, "ada", "a new long password")
    with session_of(app) as s:
        assert [m.name for m in s.scalars(sa.select(Moderator))] == ["ada"]


# -- access --------------------------------------------------------------------------------

def test_readers_are_sent_to_the_login_page_and_cannot_act(site):
    app, reader = site
    answer = reader.get(QUEUE, status=303)
    assert answer.location == "http://localhost/-/moderation/@@login?came_from=%2F-%2Fmoderation%2F"
    reader.get(QUEUE + "@@recent", status=303)
    reader.get(QUEUE + "@@search", status=303)
    target = comments(app)["spam spam"]
    token = reader.get("/api/v1/csrf").json["csrf_token"]
    reader.post(QUEUE + "@@act", {"csrf_token": token, "do": f"approve:{target.id}"}, status=303)
    assert comments(app)["spam spam"].state == "pending"


def test_permission_comes_from_the_acl_of_the_moderation_resource(site):
    app, _ = site
    moderation = app.app.registry.portal_root["-"]["moderation"]
    assert isinstance(moderation, Moderation)
    acl = ACLHelper()
    assert not acl.permits(moderation, [Everyone], "moderate")
    assert acl.permits(moderation, [Everyone, MODERATOR], "moderate")
    # Every moderation view but the login and logout asks for the permission.
    views = [intr for intr in app.app.registry.introspector.get_category("views")
             if intr["introspectable"]["context"] is Moderation]
    assert views
    for view in views:
        intr = view["introspectable"]
        expected = "view" if intr["name"] in ("login", "logout") else "moderate"
        permissions = [r["value"] for r in view["related"] if r.category_name == "permissions"]
        assert permissions == [expected], (intr["name"], permissions)


def test_a_wrong_password_or_name_is_refused_the_same_way(site):
    app, _ = site
    wrong = log_in(app, "mod", "not the password", status=400)
    nobody = log_in(app, "nobody", PASSWORD, status=400)
    assert "Wrong name or password." in wrong.text and "Wrong name or password." in nobody.text
    app.get(QUEUE, status=303)


def test_logging_in_starts_a_new_session_and_returns_where_the_moderator_was_going(site):
    app, _ = site
    app.get(QUEUE + "@@recent", status=303)
    before = app.cookies.get("portal_session")
    answer = log_in(app, came_from="/-/moderation/@@recent")
    assert answer.location == "http://localhost/-/moderation/@@recent"
    assert app.cookies["portal_session"] != before


@pytest.mark.parametrize("came_from", ["https://evil.example/", "//evil.example/x", "/demo/first/",
                                       "/-/moderation/\\\\evil.example"])
def test_the_login_never_sends_a_moderator_to_another_site(site, came_from):
    app, _ = site
    assert log_in(app, came_from=came_from).location == "http://localhost/-/moderation/"


def test_failed_logins_are_rate_limited(demo_app):
    app = demo_app(**{"portal.login.rate_limit": "3"})
    add_moderator(app)
    for _ in range(3):
        log_in(app, "mod", "wrong password", status=400)
    answer = log_in(app, "mod", PASSWORD, status=429)
    assert "Too many failed logins" in answer.text and answer.headers["Retry-After"]
    app.get(QUEUE, status=303)


def test_logout_ends_the_moderators_session(site):
    app, _ = site
    log_in(app)
    page = app.get(QUEUE)
    page.forms["logout-form"].submit(status=303)
    app.get(QUEUE, status=303)


# -- the queue -----------------------------------------------------------------------------

def act(app, page, do, tick=()):
    form = [f for f in page.forms.values() if f.action.endswith("@@act")][0]
    for field in form.fields.get("id", []):
        field.checked = int(field._value) in tick
    return form.submit("do", value=do, status=303).follow()


def test_the_queue_lists_pending_comments_oldest_first_and_single_actions_work(site):
    app, reader = site
    log_in(app)
    queue = app.get(QUEUE)
    text = queue.text
    assert text.index("spam spam") < text.index("a good question") < text.index("a fair point")
    good = comments(app)["a good question"]
    queue = act(app, queue, f"approve:{good.id}")
    assert "Done: approve: 1 comment." in queue.text
    assert "a good question" not in queue.text
    assert comments(app)["a good question"].state == "approved"
    # Approved comments are public now.
    assert "a good question" in webtest.TestApp(app.app).get(PAGE).text
    spam = comments(app)["spam spam"]
    act(app, queue, f"delete:{spam.id}")
    assert "spam spam" not in comments(app)


def test_bulk_actions_act_on_the_ticked_comments(site):
    app, reader = site
    log_in(app)
    c = comments(app)
    queue = app.get(QUEUE)
    act(app, queue, "approve", tick={c["a good question"].id, c["a fair point"].id})
    states = {body: row.state for body, row in comments(app).items()}
    assert states == {"spam spam": "pending", "a good question": "approved",
                      "a fair point": "approved"}
    recent = app.get(QUEUE + "@@recent")
    act(app, recent, "hide", tick={c["a fair point"].id, c["spam spam"].id})
    assert comments(app)["a fair point"].state == "hidden"
    assert "a fair point" not in webtest.TestApp(app.app).get(PAGE).text


def test_deleting_a_comment_with_replies_leaves_a_placeholder(demo_app):
    app = demo_app()
    add_moderator(app)
    reader = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "192.0.2.51"})
    parent = post(reader, "rude parent")
    post(reader, "kind reply", reply=parent.id)
    log_in(app)
    act(app, app.get(QUEUE + "@@recent"), f"delete:{parent.id}")
    html = reader.get(PAGE).text
    assert "rude parent" not in html and "This comment was deleted." in html
    assert "kind reply" in html
    # Deleting the reply too removes the placeholder.
    act(app, app.get(QUEUE + "@@recent"), f"delete:{comments(app)['kind reply'].id}")
    assert comments(app) == {}


def test_bulk_delete_of_a_whole_thread_removes_it(demo_app):
    app = demo_app()
    add_moderator(app)
    reader = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "192.0.2.52"})
    root = post(reader, "root")
    reply = post(reader, "reply", reply=root.id)
    deeper = post(reader, "deeper", reply=reply.id)
    log_in(app)
    act(app, app.get(QUEUE + "@@recent"), "delete", tick={root.id, reply.id, deeper.id})
    assert comments(app) == {}


def test_recent_and_search_by_page_or_author(demo_app):
    app = demo_app(**{"portal.comments.rate_limit": "50"})
    add_moderator(app)
    for url, name, body in [("/demo/first/", "Ann", "ann on first"),
                            ("/demo/second/", "Bob", "bob on second"),
                            ("/demo/guide/deep/", "Annabel", "annabel deep")]:
        form = with_token(app, app.get(url).forms["comment-form"])
        form["body"], form["name"] = body, name
        form.submit(status=303)
    log_in(app)
    recent = app.get(QUEUE + "@@recent").text
    assert recent.index("annabel deep") < recent.index("bob on second") < recent.index("ann on first")
    by_author = app.get(QUEUE + "@@search", params={"author": "ann"}).text
    assert "ann on first" in by_author and "annabel deep" in by_author
    assert "bob on second" not in by_author
    by_page = app.get(QUEUE + "@@search", params={"page": "demo/guide"}).text
    assert "annabel deep" in by_page and "ann on first" not in by_page
    exact = app.get(QUEUE + "@@search", params={"page": "demo/second"}).text
    assert "bob on second" in exact and "annabel deep" not in exact
    none = app.get(QUEUE + "@@search", params={"author": "zed"}).text
    assert "No comments found." in none


def test_a_moderators_comment_is_approved_at_once_and_marked(demo_app):
    app = demo_app(**{"portal.comments.moderation": "all"})
    add_moderator(app, "Mia")
    log_in(app, "Mia")
    post(app, "official answer")
    row = comments(app)["official answer"]
    assert row.state == "approved" and row.author_name == "Mia"
    html = webtest.TestApp(app.app).get(PAGE).text
    assert "official answer" in html and '<span class="badge">moderator</span>' in html


# -- server-side sessions (issue 12) -------------------------------------------------------

def copy_of(app):
    """Another client holding a copy of ``app``'s cookies (a stolen or replayed cookie)."""
    thief = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "198.51.100.9"})
    for name in ("portal_session", "portal_csrf"):
        thief.set_cookie(name, app.cookies[name])
    return thief


def sessions(app):
    from portal.moderation.models import ServerSession

    with session_of(app) as s:
        return s.scalars(sa.select(ServerSession)).all()


def test_the_cookie_holds_only_a_random_id_and_the_session_lives_in_the_database(site):
    app, _ = site
    log_in(app)
    token = app.cookies["portal_session"]
    [row] = sessions(app)
    assert len(token) >= 40 and "mod" not in token and "." not in token  # no signed payload
    import hashlib

    assert row.id == hashlib.sha256(token.encode()).hexdigest() and row.moderator_id


def test_a_copied_cookie_is_refused_after_logout(site):
    app, _ = site
    log_in(app)
    thief = copy_of(app)
    assert "Logged in as" in thief.get(QUEUE).text
    app.get(QUEUE).forms["logout-form"].submit(status=303)
    assert sessions(app) == []
    thief.get(QUEUE, status=303)  # to the login page
    target = comments(app)["spam spam"]
    token = thief.cookies["portal_csrf"]
    thief.post(QUEUE + "@@act", {"csrf_token": token, "do": f"approve:{target.id}"}, status=303)
    assert comments(app)["spam spam"].state == "pending"


def test_a_password_change_ends_every_other_session(site):
    app, _ = site
    log_in(app)
    thief = copy_of(app)
    page = app.get(QUEUE + "@@password")
    form = page.forms["password-form"]
    form["current"], form["new"], form["again"] = PASSWORD, "a brand new password", "a brand new password"
    form.submit(status=303)
    thief.get(QUEUE, status=303)
    assert "Logged in as" in app.get(QUEUE).text  # this browser has a new session
    [row] = sessions(app)
    wrong = app.get(QUEUE + "@@password").forms["password-form"]
    wrong["current"], wrong["new"], wrong["again"] = "not it at all", "x" * 12, "x" * 12
    assert "The current password is wrong." in wrong.submit(status=400).text


def test_portal_moderator_reset_and_revoke_end_sessions(demo_app, ini):
    app = demo_app()
    add_moderator(app, "ada")
    log_in(app, "ada")
    thief = copy_of(app)
    done = run_portal("moderator", "revoke", str(ini), "ada")
    assert done.returncode == 0, done.stderr
    assert "1 session ended" in done.stdout
    thief.get(QUEUE, status=303)
    app.get(QUEUE, status=303)
    log_in(app, "ada")
    reset = run_portal("moderator", "add", str(ini), "ada", "--reset", stdin="a new long password\n")
    assert reset.returncode == 0 and "1 session ended" in reset.stdout, reset.stdout + reset.stderr
    app.get(QUEUE, status=303)
    assert run_portal("moderator", "revoke", str(ini), "nobody").returncode == 1


def test_sessions_end_when_idle_and_after_their_lifetime(demo_app, portal_clock):
    app = demo_app(clock=portal_clock, **{"portal.sessions.idle_timeout": "600",
                                          "portal.sessions.absolute_timeout": "1800"})
    add_moderator(app)
    log_in(app)
    portal_clock.advance(590)
    app.get(QUEUE, status=200)  # active: the idle clock starts again
    portal_clock.advance(590)
    app.get(QUEUE, status=200)
    portal_clock.advance(601)
    app.get(QUEUE, status=303)  # idle too long
    assert sessions(app) == []
    log_in(app)
    for _ in range(3):
        portal_clock.advance(500)
        app.get(QUEUE, status=200)  # active every 500 s
    portal_clock.advance(500)  # 2000 s after the login: past the lifetime, though never idle
    app.get(QUEUE, status=303)


def test_readers_get_no_session(demo_app):
    app = demo_app()
    reader = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "192.0.2.53"})
    post(reader, "a reader's comment")
    reader.get(PAGE)
    assert "portal_session" not in reader.cookies and sessions(app) == []


def test_moderation_screens_are_never_stored(site):
    app, _ = site
    assert app.get(QUEUE + "@@login").headers["Cache-Control"] == "no-store"
    log_in(app)
    for path in ("", "@@recent", "@@search", "@@password", "@@searches"):
        assert app.get(QUEUE + path).headers["Cache-Control"] == "no-store", path


@pytest.mark.parametrize("came_from", ["/-/moderation/\r\nSet-Cookie: x=1",
                                       "/-/moderation/%0d%0aX: 1", "/-/moderation/\x00"])
def test_came_from_with_control_characters_is_never_a_header(site, came_from):
    app, _ = site
    answer = log_in(app, came_from=came_from)
    assert answer.location == "http://localhost/-/moderation/"
    assert "x=1" not in str(answer.headers)


def test_a_moderation_decision_empties_the_page_cache(demo_app):
    app = demo_app(**{"portal.comments.moderation": "all", "portal.page_cache.seconds": "60"})
    add_moderator(app)
    reader = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "192.0.2.54"})
    post(reader, "worth approving")
    anonymous = webtest.TestApp(app.app)
    assert "worth approving" not in anonymous.get(PAGE).text  # kept in the cache now
    log_in(app)
    act(app, app.get(QUEUE), f"approve:{comments(app)['worth approving'].id}")
    assert "worth approving" in anonymous.get(PAGE).text


# -- the login limit: per address and per account, with a back-off --------------------------

def test_the_login_limit_is_per_account_across_addresses_with_a_bounded_backoff(demo_app,
                                                                               portal_clock):
    app = demo_app(clock=portal_clock, **{"portal.login.account_limit": "3",
                                          "portal.login.max_backoff": "60"})
    add_moderator(app)
    attackers = [webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": f"203.0.113.{i}"})
                 for i in range(1, 31)]
    statuses = [log_in(a, "mod", f"guess number {i}", status="*").status_int
                for i, a in enumerate(attackers)]
    assert statuses[:3] == [400, 400, 400]  # then the account backs off, whatever the address
    assert statuses[3:].count(400) <= 1 and 429 in statuses
    refused = log_in(app, "mod", PASSWORD, status=429)
    assert "for this name" in refused.text and int(refused.headers["Retry-After"]) <= 60
    portal_clock.advance(61)  # the guessing stopped: the moderator outlasts the back-off
    log_in(app, "mod", PASSWORD, status=303)
    assert "Logged in as" in app.get(QUEUE).text
