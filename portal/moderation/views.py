"""``/-/moderation/``: moderators log in, work the queue of pending comments, see the
recent comments of the whole site and search them by page or author.

Who may do what is said once, in the resource tree: ``Moderation.__acl__`` grants
``moderate`` to ``role:moderator`` and the views ask for ``permission="moderate"``;
nothing here checks a role. A reader who is not logged in is sent to the login page.
"""

from urllib.parse import urlsplit

from pyramid.csrf import get_csrf_token
from pyramid.events import NewResponse, subscriber
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import forget, remember
from pyramid.view import forbidden_view_config, view_config
from sqlalchemy import select

from ..abuse import logins
from ..discussion import comment_queries as store
from ..discussion.comment_queries import BadCursor
from ..discussion.models import Comment
from ..events import CommentApproved, CommentDeleted, CommentHidden, CommentPosted
from ..http.params import BadParameter, form_params, parse_integer, query_params
from ..ops.outage import DatabaseUnavailable
from ..resources import Moderation
from .commands import NAME_MAX
from .models import Moderator
from .passwords import check_password, hash_password, needs_rehash, weakness
from .sessions import set_password

ACTIONS = ("approve", "hide", "delete")
MAX_BULK = 200


@forbidden_view_config(containment=Moderation)
def to_login(exc, request):
    """Not allowed to moderate (not logged in): the login page, then back here. When the
    sessions could not be read (a database outage) the moderator gets the 503 page, as
    any other write or moderation screen does meanwhile."""
    if request.session.unavailable:
        raise DatabaseUnavailable("the sessions table could not be read")
    login = request.resource_url(request.context, "@@login",
                                 query={"came_from": request.path_qs})
    return HTTPSeeOther(location=login)


@subscriber(NewResponse)
def never_stored(event):
    """Moderation screens are for one moderator: no cache, shared or private, keeps them."""
    if isinstance(getattr(event.request, "context", None), Moderation):
        event.response.headers["Cache-Control"] = "no-store"


def _safe_return(request, target):
    """``target`` if it is a path under /-/ (the moderation screens, insights) on this
    site, else the queue: a login link cannot send a moderator anywhere else (nor split a
    header with CR/LF)."""
    home = request.resource_url(request.context)
    backstage_path = urlsplit(request.resource_url(request.context.__parent__)).path
    if (target and target.startswith(backstage_path) and "//" not in target and "\\" not in target
            and target.isprintable() and " " not in target):
        return request.host_url + target
    return home


def _login_value(request, came_from, name="", error=None):
    return {"came_from": came_from, "name": name, "error": error,
            "csrf_token": get_csrf_token(request)}


@view_config(context=Moderation, name="login", renderer="moderation/login.jinja2",
             request_method=("GET", "HEAD"), permission="view")
def login_form(context, request):
    query = query_params(request)
    came_from = query.text("came_from", default="", max_length=2000)
    return _login_value(request, came_from if query.errors == {} else "")


@view_config(context=Moderation, name="login", renderer="moderation/login.jinja2",
             request_method="POST", permission="view")
def login(context, request):
    form = form_params(request)
    name = form.text("name", default="", strip=True, max_length=NAME_MAX)
    password = form.text("password", default="", max_length=1000)
    came_from = form.text("came_from", default="", max_length=2000)
    if form.errors:
        request.response.status = 400
        return _login_value(request, "", error="Wrong name or password.")
    refused = logins.refusal(request, name)
    if refused is not None:
        wait, why = refused
        request.response.status = 429
        request.response.headers["Retry-After"] = str(wait)
        return _login_value(request, came_from, name, f"{why}; try again in {wait} seconds.")
    moderator = (request.dbsession.scalar(select(Moderator).where(Moderator.name == name))
                 if name else None)
    if not check_password(moderator.password_hash if moderator else None, password):
        request.response.status = 400
        return _login_value(request, came_from, name, "Wrong name or password.")
    logins.succeeded(request, name)
    if needs_rehash(moderator.password_hash):
        moderator.password_hash = hash_password(password)
    remember(request, moderator)
    return HTTPSeeOther(location=_safe_return(request, came_from))


@view_config(context=Moderation, name="logout", request_method="POST", permission="view")
def logout(context, request):
    forget(request)
    return HTTPSeeOther(location=request.resource_url(request.site_root))


@view_config(context=Moderation, name="password", renderer="moderation/password.jinja2",
             request_method=("GET", "HEAD"), permission="moderate")
def password_form(context, request):
    return {"error": None, "moderator": request.identity, "csrf_token": get_csrf_token(request)}


@view_config(context=Moderation, name="password", renderer="moderation/password.jinja2",
             request_method="POST", permission="moderate")
def change_password(context, request):
    """A new password ends every session of the moderator (a stolen cookie included) and
    starts a new one for this browser."""
    form = form_params(request)
    current = form.text("current", default="", max_length=1000)
    new = form.text("new", default="", max_length=1000)
    again = form.text("again", default="", max_length=1000)
    moderator = request.dbsession.get(Moderator, request.identity.id)
    error = None
    if form.errors or not check_password(moderator.password_hash, current):
        error = "The current password is wrong."
    elif new != again:
        error = "The two new passwords differ."
    else:
        error = weakness(new)
    if error:
        request.response.status = 400
        return {"error": error, "moderator": moderator, "csrf_token": get_csrf_token(request)}
    set_password(request.dbsession, moderator, new)
    remember(request, moderator)
    request.session.flash("password changed; every other session has ended", "moderation")
    return HTTPSeeOther(location=request.resource_url(context))


def _listing(request, context, *, title, tab, state=None, oldest_first=False, search=False):
    query = query_params(request)
    after = query.text("after", max_length=200, strip=True, empty_is_missing=True)
    page_key = query.text("page", default="", strip=True, max_length=200) if search else ""
    author = query.text("author", default="", strip=True, max_length=NAME_MAX) if search else ""
    query.check()
    try:
        position = store.decode_cursor(after) if after else None
    except BadCursor as exc:
        raise BadParameter({"after": str(exc)}) from None
    rows, more = ([], False)
    if not search or page_key or author:
        rows, more = store.moderation_page(
            request.dbsession, state=state, page_key=page_key, author=author, after=position,
            oldest_first=oldest_first)
    next_url = None
    if more and rows:
        query = {"after": store.encode_cursor(rows[-1])}
        if page_key:
            query["page"] = page_key
        if author:
            query["author"] = author
        next_url = request.resource_url(context, tab if tab != "queue" else "", query=query)
    root = request.site_root
    items = [(row, root.find(row.page_key)) for row in rows]
    return {"title": title, "tab": tab, "items": items, "next_url": next_url,
            "page_query": page_key, "author_query": author, "searched": bool(page_key or author),
            "moderator": request.identity, "return_to": request.path_qs,
            "csrf_token": get_csrf_token(request)}


@view_config(context=Moderation, renderer="moderation/listing.jinja2",
             request_method=("GET", "HEAD"), permission="moderate")
def queue(context, request):
    return _listing(request, context, title="Pending comments", tab="queue", state="pending",
                    oldest_first=True)


@view_config(context=Moderation, name="recent", renderer="moderation/listing.jinja2",
             request_method=("GET", "HEAD"), permission="moderate")
def recent(context, request):
    return _listing(request, context, title="Recent comments", tab="recent")


@view_config(context=Moderation, name="search", renderer="moderation/listing.jinja2",
             request_method=("GET", "HEAD"), permission="moderate")
def search(context, request):
    return _listing(request, context, title="Search comments", tab="search", search=True)


def apply(request, action, comment):
    if comment.state == "deleted" and action != "delete":
        return  # a placeholder has no text left to show
    previous, notify = comment.state, request.registry.notify
    if action == "approve":
        comment.state = "approved"
        if previous != "approved":
            notify(CommentApproved(request, comment, previous))
        if previous == "pending":  # held until now: readers see it from here on
            notify(CommentPosted(request, comment, approved=True))
    elif action == "hide":
        comment.state = "hidden"
        if previous != "hidden":
            notify(CommentHidden(request, comment, previous))
    elif action == "delete":
        notify(CommentDeleted(request, comment, by_moderator=True))
        store.remove(request.dbsession, comment)


@view_config(context=Moderation, name="act", request_method="POST", permission="moderate")
def act(context, request):
    """One form for single and bulk actions: ``do=approve:12`` acts on comment 12,
    ``do=approve`` on every ticked ``id``."""
    form = form_params(request)
    action, _, single = form.text("do", default="", strip=True).partition(":")
    if action not in ACTIONS:
        form.fail("do", f"unknown action {action[:40]!r}; use one of {', '.join(ACTIONS)}")
    if single:
        try:
            ids = [parse_integer(single)]
        except ValueError:
            form.fail("do", "must name a comment id")
            ids = []
    else:
        ids = form.integers("id", limit=MAX_BULK, message="comment ids must be integers")
    return_to = form.text("return_to", default="")
    form.check()
    ids = sorted(set(ids))
    if not ids:
        raise BadParameter({"id": "tick at least one comment first"})
    # Deepest first, so deleting a thread removes replies before their parents.
    rows = request.dbsession.scalars(
        select(Comment).where(Comment.id.in_(ids)).order_by(Comment.depth.desc(),
                                                            Comment.id.desc()))
    done = 0
    for comment in list(rows):
        if comment in request.dbsession:  # not already removed with a reply above
            apply(request, action, comment)
            done += 1
    request.session.flash(f"{action}: {done} comment{'s' if done != 1 else ''}", "moderation")
    return HTTPSeeOther(location=_safe_return(request, return_to))
