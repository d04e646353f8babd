"""Comments under every page, through the real application (WebTest), on SQLite and on
PostgreSQL: posting without JavaScript, threads, sanitizing, the spam defences, the
moderation modes, the author's edit window, placeholders, keyset pagination, counts and
the Atom feeds."""

import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
import webtest

from portal.abuse.models import ClientEvent
from portal.discussion.models import Comment
from portal.testing import with_token

PAGE = "/demo/first/"


def session_of(app):
    return app.app.registry["dbsession_factory"]()


def rows(app, model=Comment, *where):
    with session_of(app) as s:
        return list(s.scalars(sa.select(model).where(*where).order_by(model.id)))


def execute(app, statement):
    with session_of(app) as s:
        s.execute(statement)
        s.commit()


def other_reader(app, addr="192.0.2.99"):
    """Another browser (no cookies) on the same running application."""
    return webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": addr})


def comment_form(app, url=PAGE, **query):
    """The comment form as a browser with JavaScript sends it (token and stamp fetched)."""
    page = app.get(url, params=query)
    return with_token(app, page.forms["comment-form"])


def post(app, body, url=PAGE, status=303, reply=None, **fields):
    form = comment_form(app, url, **({"reply": reply} if reply else {}))
    form["body"] = body
    for name, value in fields.items():
        form[name] = value
    return form.submit(status=status)


def comment_ids(html):
    import re

    return [int(x) for x in re.findall(r'<article class="comment[^"]*" id="comment-(\d+)"', html)]


# -- posting -------------------------------------------------------------------------------

def test_a_reader_comments_without_javascript_and_sees_it_on_the_page(demo_app):
    app = demo_app()
    # The page carries no token (every reader gets the same bytes): the first post of a
    # browser without JavaScript comes back as the form, filled in, holding a token.
    form = app.get(PAGE).forms["comment-form"]
    assert form["csrf_token"].value == "" and form["stamp"].value == ""
    form["body"], form["name"] = "First! With **bold**.", "Ada"
    again = form.submit(status=400).forms["comment-form"]
    assert again["body"].value == "First! With **bold**." and again["name"].value == "Ada"
    assert again["csrf_token"].value and again["stamp"].value
    assert rows(app) == []
    answer = again.submit(status=303)
    assert answer.status_int == 303
    assert answer.location.startswith("http://localhost/demo/first/")
    page = answer.follow()
    assert "<strong>bold</strong>" in page.text
    assert "Ada" in page.text
    assert "Comments <span class=\"comments__count\">(1)</span>" in page.text
    # Another reader sees it too (open moderation).
    assert "First! With" in other_reader(app).get(PAGE).text
    [stored] = rows(app)
    assert (stored.page_key, stored.author_name, stored.state) == ("demo/first", "Ada", "approved")
    assert stored.root_id == stored.id and stored.depth == 0


def test_every_page_and_section_has_the_form(demo_app):
    app = demo_app()
    for url in ("/demo/", "/demo/first/", "/demo/guide/", "/demo/guide/deep/"):
        form = app.get(url).forms["comment-form"]
        assert form.action.endswith(url + "@@comments")
    post(app, "On the section itself", url="/demo/")
    assert rows(app)[0].page_key == "demo"


def test_hostile_markdown_is_stored_and_shown_sanitized(demo_app):
    app = demo_app()
    post(app, "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
              " [ok](https://ok.example)")
    html = app.get(PAGE).text
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html and "<img src=x" not in html
    assert '<a href="https://ok.example" rel="nofollow ugc noopener">ok</a>' in html
    [stored] = rows(app)
    assert "<script" not in stored.body_html


def test_a_name_with_markup_is_escaped(demo_app):
    app = demo_app()
    post(app, "hi", name='<b onmouseover="x">Eve</b>')
    html = app.get(PAGE).text
    assert '&lt;b onmouseover=&#34;x&#34;&gt;Eve&lt;/b&gt;' in html or \
        "&lt;b onmouseover=&quot;x&quot;&gt;Eve&lt;/b&gt;" in html


@pytest.mark.parametrize("body, problem", [
    ("", "write something first"),
    ("   \n  ", "write something first"),
    ("x" * 5001, "the limit is 5000"),
    ("[1](https://a.example) [2](https://b.example) [3](https://c.example) "
     "[4](https://d.example)", "at most 3 are allowed"),
])
def test_bad_bodies_are_refused_with_the_form_kept_and_nothing_stored(demo_app, body, problem):
    app = demo_app()
    answer = post(app, body, status=400, name="Bob")
    assert problem in answer.text
    assert answer.forms["comment-form"]["name"].value == "Bob"
    assert rows(app) == [] and rows(app, ClientEvent) == []


def test_a_name_longer_than_80_characters_is_refused(demo_app):
    app = demo_app()
    form = comment_form(app)
    form["body"] = "hello"
    # The browser's maxlength is only a hint; the server decides.
    answer = app.post(form.action, {**dict(form.submit_fields()), "name": "n" * 81}, status=400)
    assert "the limit is 80" in answer.text
    assert rows(app) == []


# -- spam defences -------------------------------------------------------------------------

def test_a_post_without_the_csrf_token_is_refused(demo_app):
    app = demo_app()
    form = comment_form(app)
    fields = dict(form.submit_fields())
    fields["body"] = "spam"
    del fields["csrf_token"]
    answer = app.post(form.action, fields, status=400)
    assert "send it again" in answer.text
    assert rows(app) == []
    # The page came back with a fresh token: sending again works.
    again = answer.forms["comment-form"]
    again["body"] = "not spam"
    again.submit(status=303)
    assert [c.body_source for c in rows(app)] == ["not spam"]


def test_a_post_from_another_site_without_the_session_is_refused(demo_app):
    app = demo_app()
    form = comment_form(app)
    fields = dict(form.submit_fields())
    fields["body"] = "forged"
    other_reader(app).post(form.action, fields, status=400)
    assert rows(app) == []


def test_the_honeypot_field_catches_robots(demo_app):
    app = demo_app()
    answer = post(app, "buy things", website="https://spam.example", status=400)
    assert "spam robots" in answer.text
    assert rows(app) == []


def test_a_post_sooner_than_the_minimum_time_after_the_form_is_refused(demo_app, portal_clock):
    app = demo_app(clock=portal_clock, **{"portal.comments.min_seconds": "2"})
    form = comment_form(app)
    form["body"] = "too fast"
    portal_clock.advance(1.9)
    answer = form.submit(status=400)
    assert "too quickly" in answer.text
    assert rows(app) == []
    # A person who waits is fine: the stamp was signed when the form was shown.
    portal_clock.advance(0.2)
    form.submit(status=303)
    assert len(rows(app)) == 1


def test_a_forged_or_missing_stamp_is_refused(demo_app):
    app = demo_app()
    for stamp in ("", "eyJ0IjogMH0", "x" * 90):
        answer = post(app, "hello", stamp=stamp, status=400)
        assert "reload the page" in answer.text
    assert rows(app) == []


def test_the_rate_limit_is_kept_in_the_database_and_holds_across_processes(
        demo_app, portal_app_factory, database_url):
    settings = {"portal.comments.rate_limit": "2", "portal.comments.rate_window": "600"}
    first = demo_app(**settings)
    # A second, separate application on the same database: another worker process.
    second = portal_app_factory(**{"sqlalchemy.url": database_url, "portal.plugins.only": "demo",
                                   **settings})
    post(first, "one")
    post(second, "two")
    answer = post(first, "three", status=429)
    assert "too many comments" in answer.text
    assert int(answer.headers["Retry-After"]) > 0
    post(second, "four", status=429)
    assert [c.body_source for c in rows(first)] == ["one", "two"]
    # Another address is not limited by this one.
    post(other_reader(first, "198.51.100.7"), "five")
    assert len(rows(first)) == 3
    # Refused posts were not counted (their transaction was aborted).
    assert len(rows(first, ClientEvent, ClientEvent.kind == "comment")) == 3


def test_the_rate_limit_lets_a_client_post_again_once_the_window_has_passed(demo_app, portal_clock):
    app = demo_app(clock=portal_clock, **{"portal.comments.rate_limit": "1",
                                          "portal.comments.rate_window": "600"})
    post(app, "one")
    portal_clock.advance(599)
    answer = post(app, "two", status=429)
    assert int(answer.headers["Retry-After"]) <= 2
    portal_clock.advance(2)
    post(app, "three")
    assert [c.body_source for c in rows(app)] == ["one", "three"]


# -- threads -------------------------------------------------------------------------------

def test_replies_nest_three_levels_and_deeper_replies_stay_in_the_parents_thread(demo_app):
    app = demo_app()
    post(app, "root")
    ids = [rows(app)[-1].id]
    for level in range(1, 5):
        post(app, f"level {level}", reply=ids[-1])
        ids.append(rows(app)[-1].id)
    stored = {c.id: c for c in rows(app)}
    assert [stored[i].depth for i in ids] == [0, 1, 2, 3, 3]
    assert [stored[i].parent_id for i in ids] == [None] + ids[:-1]
    assert {stored[i].root_id for i in ids} == {ids[0]}
    html = app.get(PAGE).text
    # Each level is nested inside the previous one...
    for outer, inner in zip(ids[:3], ids[1:4], strict=False):
        block = html[html.index(f'id="comment-{outer}"'):]
        assert block.index('class="comment__replies"') < block.index(f'id="comment-{inner}"')
    # ...and the fifth comment sits beside its parent, saying whom it answers.
    level4 = html[html.index(f'id="comment-{ids[4]}"'):]
    assert f'in reply to <a href="#comment-{ids[3]}">' in level4
    level3 = html[html.index(f'id="comment-{ids[3]}"'):html.index(f'id="comment-{ids[4]}"')]
    assert 'class="comment__replies"' not in level3


def test_a_reply_link_without_javascript_prepares_the_form(demo_app):
    app = demo_app()
    post(app, "question", name="Ann")
    root = rows(app)[0]
    page = app.get(PAGE, params={"reply": root.id})
    form = with_token(app, page.forms["comment-form"])
    assert form["parent"].value == str(root.id)
    assert "Reply to Ann" in page.text
    form["body"] = "answer"
    answer = form.submit(status=303)
    assert f"thread={root.id}" in answer.location
    reply = rows(app)[-1]
    assert (reply.parent_id, reply.root_id, reply.depth) == (root.id, root.id, 1)
    assert "answer" in answer.follow().text


@pytest.mark.parametrize("parent, problem", [
    ("999999", "there is no comment 999999"),
    ("abc", "must be a comment id"),
])
def test_a_reply_to_a_missing_comment_is_refused(demo_app, parent, problem):
    app = demo_app()
    form = comment_form(app)
    fields = dict(form.submit_fields())
    fields.update(body="reply", parent=parent)
    answer = app.post(form.action, fields, status=400)
    assert problem in answer.text
    assert rows(app) == []


def test_a_reply_to_a_comment_of_another_page_is_refused(demo_app):
    app = demo_app()
    post(app, "on the second page", url="/demo/second/")
    other = rows(app)[0]
    form = comment_form(app)
    fields = dict(form.submit_fields())
    fields.update(body="reply", parent=str(other.id))
    answer = app.post(form.action, fields, status=400)
    assert "is not on this page" in answer.text
    assert len(rows(app)) == 1


# -- moderation modes ----------------------------------------------------------------------

def test_mode_all_keeps_every_comment_pending_shown_only_to_its_author(demo_app):
    app = demo_app(**{"portal.comments.moderation": "all"})
    page = post(app, "waiting").follow()
    assert "waiting" in page.text
    assert "Only you can see this comment until a moderator approves it." in page.text
    assert "(0)" in page.text  # not counted as approved
    stranger = other_reader(app)
    assert "waiting" not in stranger.get(PAGE).text
    post(app, "second, still waiting")
    assert {c.state for c in rows(app)} == {"pending"}
    assert "waiting" not in app.get(PAGE + "@@feed").text


def test_mode_first_holds_a_new_authors_first_comment_only(demo_app):
    app = demo_app(**{"portal.comments.moderation": "first"})
    post(app, "my first")
    [first] = rows(app)
    assert first.state == "pending"
    stranger = other_reader(app)
    assert "my first" not in stranger.get(PAGE).text
    # A moderator approves it; the author is known from now on.
    execute(app, sa.update(Comment).values(state="approved"))
    post(app, "my second")
    assert rows(app)[-1].state == "approved"
    assert "my second" in stranger.get(PAGE).text
    # The stranger is new, so their first comment waits.
    post(stranger, "stranger's first")
    assert rows(app)[-1].state == "pending"


def test_mode_open_shows_comments_at_once(demo_app):
    app = demo_app(**{"portal.comments.moderation": "open"})
    post(app, "visible")
    assert rows(app)[0].state == "approved"
    assert "visible" in other_reader(app).get(PAGE).text


# -- the author's edit window ---------------------------------------------------------------

def edit(app, comment_id, body, status=303):
    page = app.get(PAGE, params={"edit": comment_id})
    form = [f for f in page.forms.values() if f.action.endswith("@@edit-comment")][0]
    form["body"] = body
    return form.submit(status=status)


def test_the_author_edits_within_the_window_and_nobody_else_can(demo_app):
    app = demo_app()
    post(app, "tpyo")
    [comment] = rows(app)
    edit(app, comment.id, "typo fixed").follow()
    [edited] = rows(app)
    assert edited.body_source == "typo fixed" and "<p>typo fixed</p>" == edited.body_html
    assert "typo fixed" in app.get(PAGE).text
    # Another browser has no grant: no edit link, and a forged post is refused.
    stranger = other_reader(app)
    page = stranger.get(PAGE)
    assert "@@edit-comment" not in page.text and "@@delete-comment" not in page.text
    token = stranger.get("/api/v1/csrf").json["csrf_token"]
    stranger.post(PAGE + "@@edit-comment", {"csrf_token": token, "id": comment.id,
                                            "body": "vandalised"}, status=403)
    assert rows(app)[0].body_source == "typo fixed"


def test_an_edit_cookie_cannot_be_replayed_after_an_edit(demo_app):
    app = demo_app()
    post(app, "original")
    [comment] = rows(app)
    name = f"portal_edit_{comment.id}"
    old_grant = app.cookies[name]
    edit(app, comment.id, "changed once")
    assert app.cookies[name] != old_grant
    # Someone who copied the first cookie (or the author's old browser) cannot edit now.
    app.set_cookie(name, old_grant)
    page = app.get(PAGE)
    assert "@@edit-comment" not in page.text
    token = app.get("/api/v1/csrf").json["csrf_token"]
    answer = app.post(PAGE + "@@edit-comment", {"csrf_token": token, "id": comment.id,
                                                "body": "changed with the old cookie"},
                      status=403)
    assert "can no longer be changed" in answer.text
    app.post(PAGE + "@@delete-comment", {"csrf_token": token, "id": comment.id}, status=403)
    assert rows(app)[0].body_source == "changed once"


def test_the_edit_window_closes(demo_app, portal_clock):
    app = demo_app(clock=portal_clock, **{"portal.comments.edit_window": "900"})
    post(app, "old words")
    [comment] = rows(app)
    portal_clock.advance(899)
    assert "@@edit-comment" in app.get(PAGE, params={"edit": comment.id}).text
    portal_clock.advance(2)
    page = app.get(PAGE, params={"edit": comment.id})
    assert "@@edit-comment" not in page.text
    token = app.get("/api/v1/csrf").json["csrf_token"]
    app.post(PAGE + "@@edit-comment", {"csrf_token": token, "id": comment.id, "body": "late"},
             status=403)
    assert rows(app)[0].body_source == "old words"


def test_an_edit_breaking_a_rule_shows_the_edit_form_again(demo_app):
    app = demo_app()
    post(app, "fine")
    [comment] = rows(app)
    answer = edit(app, comment.id, "x" * 6000, status=400)
    assert "the limit is 5000" in answer.text
    assert f'id="edit-body-{comment.id}"' in answer.text
    assert rows(app)[0].body_source == "fine"


def test_in_mode_all_an_edit_goes_back_to_the_queue(demo_app):
    app = demo_app(**{"portal.comments.moderation": "all"})
    post(app, "first version")
    execute(app, sa.update(Comment).values(state="approved"))
    edit(app, rows(app)[0].id, "sneaky second version")
    assert rows(app)[0].state == "pending"


def test_the_author_deletes_a_comment_and_a_deleted_comment_with_replies_stays_as_a_placeholder(
        demo_app):
    app = demo_app()
    post(app, "parent text")
    parent = rows(app)[0]
    replier = other_reader(app)
    post(replier, "a reply", reply=parent.id)
    reply = rows(app)[-1]
    # The author deletes the parent: its text goes, the reply stays, under a placeholder.
    page = app.get(PAGE)
    delete = [f for f in page.forms.values() if f.action.endswith("@@delete-comment")
              and f["id"].value == str(parent.id)][0]
    delete.submit(status=303)
    stored = {c.id: c for c in rows(app)}
    assert stored[parent.id].state == "deleted" and stored[parent.id].body_source == ""
    html = replier.get(PAGE).text
    assert "This comment was deleted." in html and "parent text" not in html
    assert "a reply" in html
    # The reply's author deletes theirs: nothing is left below the placeholder, so it goes.
    page = replier.get(PAGE, params={"thread": parent.id})
    delete = [f for f in page.forms.values() if f.action.endswith("@@delete-comment")][0]
    assert delete["id"].value == str(reply.id)
    delete.submit(status=303)
    assert rows(app) == []
    assert "This comment was deleted." not in app.get(PAGE).text


# -- pagination ----------------------------------------------------------------------------

@pytest.fixture
def statements():
    """Every SQL statement an application runs, to check what the database is asked."""
    seen = []

    def watch(app):
        engine = app.app.registry["dbengine"]
        sa.event.listen(engine, "before_cursor_execute",
                        lambda conn, cursor, statement, params, *a: seen.append((statement, params)))
        return seen

    return watch


def test_threads_are_paginated_by_keyset_oldest_or_newest_first(demo_app, statements):
    app = demo_app(**{"portal.comments.page_size": "3", "portal.comments.rate_limit": "100"})
    for n in range(8):
        post(app, f"thread {n}")
    post(app, "a reply", reply=rows(app)[0].id)
    ids = [c.id for c in rows(app) if c.depth == 0]
    seen = statements(app)

    def walk(sort):
        pages, url = [], PAGE + ("?sort=newest" if sort == "newest" else "")
        while url:
            page = app.get(url)
            found = [i for i in comment_ids(page.text) if i in ids]
            pages.append(found)
            more = page.html.find("a", string="More comments")
            url = more["href"] if more else None
        return pages

    oldest = walk("oldest")
    assert oldest == [ids[0:3], ids[3:6], ids[6:8]]
    newest = walk("newest")
    assert newest == [ids[7:4:-1], ids[4:1:-1], ids[1::-1]]
    # Later pages start after the last thread shown (a row-value comparison on the
    # index), never by skipping rows: SQLAlchemy's SQLite dialect always writes
    # "OFFSET ?", so what matters is that it is 0.
    keyset = [(s, p) for s, p in seen if "(comments.created_at, comments.id) >" in s
              or "(comments.created_at, comments.id) <" in s]
    assert len(keyset) == 4
    for statement, params in seen:
        if "OFFSET" in statement.upper():
            assert statement.rstrip().endswith("OFFSET ?") and params[-1] == 0, statement


def test_a_forged_cursor_is_a_400_not_a_500(demo_app):
    app = demo_app()
    assert app.get(PAGE, params={"after": "not-a-cursor"}, status=400)


# -- counts and feeds ----------------------------------------------------------------------

def test_section_listings_show_comment_counts(demo_app):
    app = demo_app(**{"portal.comments.moderation": "first"})
    post(app, "one")  # pending: not counted
    execute(app, sa.update(Comment).values(state="approved"))
    post(app, "two")
    post(app, "three", url="/demo/second/")
    html = app.get("/demo/").text
    cards = html[html.index("cards--pages"):]
    first = cards[cards.index("First page"):cards.index("Second page")]
    second = cards[cards.index("Second page"):cards.index("Guide")]
    assert "2 comments" in first and "1 comment<" in second


ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_feeds_list_approved_comments_per_page_and_for_the_site(demo_app):
    app = demo_app(**{"portal.comments.moderation": "first"})
    post(app, "approved <script>x</script>", name="Zoë & co")
    execute(app, sa.update(Comment).values(state="approved"))
    post(app, "on second", url="/demo/second/")
    stranger = other_reader(app)
    post(stranger, "pending one")
    feed = app.get(PAGE + "@@feed")
    assert feed.content_type == "application/atom+xml"
    root = ET.fromstring(feed.body)
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}author/{ATOM}name").text for e in entries] == ["Zoë & co"]
    content = entries[0].find(f"{ATOM}content")
    assert content.get("type") == "html" and "&lt;script&gt;" in content.text
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link.startswith("http://localhost/demo/first/#comment-")
    site = ET.fromstring(app.get("/-/comments.atom").body)
    titles = [e.find(f"{ATOM}title").text for e in site.findall(f"{ATOM}entry")]
    assert titles == ["Anonymous reader on Second page", "Zoë & co on First page"]


# -- speed ---------------------------------------------------------------------------------

def fill_10000_comments(app):
    """2,500 threads of four comments each on demo/first: a root, a reply, a reply to
    that, and another reply to the root."""
    engine = app.app.registry["dbengine"]
    roots = [{"id": i, "page_key": "demo/first", "root_id": i, "depth": 0, "parent_id": None,
              "body_source": f"c{i}", "body_html": f"<p>c{i}</p>", "state": "approved"}
             for i in range(1, 2501)]
    replies, next_id = [], 2501
    for root in roots:
        parent = root["id"]
        for depth in (1, 2, 1):
            replies.append({"id": next_id, "page_key": "demo/first", "root_id": root["id"],
                            "depth": depth, "parent_id": parent if depth == 2 else root["id"],
                            "body_source": "r", "body_html": "<p>r</p>", "state": "approved"})
            parent = next_id
            next_id += 1
    with engine.begin() as conn:
        conn.execute(sa.insert(Comment), roots)
        conn.execute(sa.insert(Comment), replies)
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval('comments_id_seq', 20000)"))
            conn.execute(sa.text("ANALYZE comments"))
    return engine


def skips_rows(statement, params):
    """Whether a statement reads rows only to skip them (OFFSET n, n > 0). SQLite's dialect
    writes ``LIMIT ? OFFSET ?`` for every limit, bound to 0 when there is no offset."""
    if "OFFSET" not in statement.upper():
        return False
    return not (isinstance(params, (tuple, list)) and params and params[-1] == 0)


def test_a_10000_comment_discussion_is_read_in_a_few_keyset_queries(demo_app):
    """However long the discussion, a page of it costs a fixed number of queries and no
    OFFSET scan. (How fast that is, is measured by ``make bench``, not asserted here.)"""
    app = demo_app()
    engine = fill_10000_comments(app)
    assert len(rows(app)) == 10000
    statements = []

    def record(conn, cursor, statement, params, context, many):
        statements.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", record)
    for url in (PAGE, PAGE + "?sort=newest", "/api/v1/pages/demo/first/comments",
                "/api/v1/pages/demo/first/comments?sort=newest"):
        statements.clear()
        app.get(url)
        # No query per thread or per comment, and no OFFSET scan: keyset pagination.
        assert 0 < len(statements) <= 6, (url, statements)
        assert not any(skips_rows(*s) for s in statements), (url, statements)
    # The next page starts where the last one ended, again without skipping rows.
    later = app.get(PAGE).html.find("a", string="More comments")["href"]
    statements.clear()
    app.get(later)
    assert 0 < len(statements) <= 6
    assert not any(skips_rows(*s) for s in statements), statements


def test_the_keyset_queries_are_served_by_indexes(demo_app):
    app = demo_app()
    engine = fill_10000_comments(app)
    threads = ("SELECT id FROM comments WHERE page_key = 'demo/first' AND depth = 0 "
               "AND (created_at, id) > ('2000-01-01', 0) ORDER BY created_at, id LIMIT 21")
    replies = ("SELECT id FROM comments WHERE root_id IN (1, 2, 3) AND depth > 0 "
               "ORDER BY root_id, created_at, id")
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            def plan(sql):
                return " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                            "EXPLAIN QUERY PLAN " + sql))
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")  # tiny tables: ask for the index
            def plan(sql):
                return " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
        assert "ix_comments_page_threads" in plan(threads), plan(threads)
        assert "ix_comments_root_created" in plan(replies), plan(replies)
        assert "SCAN comments " not in plan(threads) + " "


# -- with JavaScript, in a real browser ------------------------------------------------------

@pytest.mark.browser
def test_with_javascript_reply_points_the_form_at_the_comment_without_a_page_load(
        demo_app, serve, chromium):
    app = demo_app()
    post(app, "the question", name="Ann")
    [root] = rows(app)
    base = serve(app.app)
    page = chromium.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + PAGE)
    page.get_by_role("link", name="Reply to Ann").click()
    assert page.url == base + PAGE  # no navigation
    assert page.locator("#comment-form-title").inner_text() == "Reply to Ann"
    assert page.locator("[data-parent-field]").input_value() == str(root.id)
    assert page.evaluate("document.activeElement.id") == "comment-body"
    # Cancel, then reply again and send: the reply is stored under the comment.
    page.get_by_role("link", name="Write a new comment instead").click()
    assert page.locator("[data-parent-field]").input_value() == ""
    page.get_by_role("link", name="Reply to Ann").click()
    page.locator("#comment-body").fill("the answer")
    page.wait_for_timeout(50)
    page.get_by_role("button", name="Post comment").click()
    page.wait_for_load_state()
    assert "the answer" in page.content()
    assert errors == []
    reply = rows(app)[-1]
    assert (reply.body_source, reply.parent_id) == ("the answer", root.id)


# -- the open world (issue 12) -------------------------------------------------------------

def test_control_characters_never_reach_a_stored_comment_or_a_feed(demo_app):
    app = demo_app()
    post(app, "bell\x07 escape\x1b[31m form\x0cfeed \ufffe end", name="Ann\x0b\x1f")
    [row] = rows(app)
    assert row.body_source == "bell escape[31m formfeed  end" and row.author_name == "Ann"
    # A row stored before (by an older version, or by hand) cannot break the feeds either.
    execute(app, sa.update(Comment).values(author_name="Bob\x01", body_html="<p>x\x02y</p>"))
    for url in (PAGE + "@@feed", "/-/comments.atom"):
        root = ET.fromstring(app.get(url).body)  # a parse error fails the test
        entry = root.find("{http://www.w3.org/2005/Atom}entry")
        assert entry.find("{http://www.w3.org/2005/Atom}author")[0].text == "Bob"
        assert entry.find("{http://www.w3.org/2005/Atom}content").text == "<p>xy</p>"


def test_a_form_stamp_is_good_for_one_comment(demo_app):
    app = demo_app()
    form = comment_form(app)
    stamp = form["stamp"].value
    form["body"] = "first"
    form.submit(status=303)
    replay = comment_form(app)
    replay["stamp"], replay["body"] = stamp, "replayed"
    answer = replay.submit(status=400)
    assert "already sent once" in answer.text
    # The form comes back filled in with a fresh stamp: sending it again goes through.
    again = answer.forms["comment-form"]
    assert again["body"].value == "replayed" and again["stamp"].value != stamp
    again.submit(status=303)
    assert sorted(r.body_source for r in rows(app)) == ["first", "replayed"]


def test_a_form_stamp_expires_and_a_refused_post_does_not_spend_it(demo_app, portal_clock):
    app = demo_app(clock=portal_clock, **{"portal.comments.stamp_seconds": "600"})
    form = comment_form(app)
    form["body"] = ""  # breaks a rule: nothing stored, the stamp not spent
    stamp = form["stamp"].value
    form.submit(status=400)
    form = comment_form(app)
    form["stamp"], form["body"] = stamp, "the same stamp, now with a body"
    form.submit(status=303)
    late = comment_form(app)
    portal_clock.advance(601)
    late["body"] = "too late"
    assert "expired" in late.submit(status=400).text


def test_without_javascript_the_second_post_goes_through(demo_app):
    """Pages carry neither token nor stamp; a post without them gets the form back with
    both, and the same form sent again is stored."""
    app = demo_app()
    form = app.get(PAGE).forms["comment-form"]
    assert not form["stamp"].value and not form["csrf_token"].value
    form["body"] = "typed without JavaScript"
    again = form.submit(status=400).forms["comment-form"]
    assert again["stamp"].value and again["csrf_token"].value
    again.submit(status=303)
    assert [r.body_source for r in rows(app)] == ["typed without JavaScript"]
