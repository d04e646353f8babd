"""``/-/moderation/``: moderators log in, work the queue of pending comments, see the
recent comments of the whole site and search them by page or author.

Who may do what is said once, in the resource tree: ``Moderation.__acl__`` grants
``moderate`` to ``role:moderator`` and the views ask for ``permission="moderate"``;
nothing here checks a role. A reader who is not logged in is sent to the login page.
"""

from urllib.parse import urlsplit

from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.security import forget, remember
from pyramid.view import forbidden_view_config, view_config
from sqlalchemy import select

from ..abuse.limits import count_recent, record
from ..discussion import comment_queries as store
from ..discussion.comment_queries import BadCursor
from ..discussion.models import Comment
from ..events import CommentApproved, CommentDeleted, CommentHidden, CommentPosted
from ..resources import Moderation
from .models import Moderator
from .passwords import check_password, hash_password, needs_rehash

ACTIONS = ("approve", "hide", "delete")
MAX_BULK = 200


@forbidden_view_config(containment=Moderation)
def to_login(exc, request):
    """Not allowed to moderate (not logged in): the login page, then back here."""
    login = request.resource_url(request.context, "@@login",
                                 query={"came_from": request.path_qs})
    return HTTPSeeOther(location=login)


def _safe_return(request, target):
    """``target`` if it is a path under /-/ (the moderation screens, insights) on this
    site, else the queue: a login link cannot send a moderator anywhere else."""
    home = request.resource_url(request.context)
    backstage_path = urlsplit(request.resource_url(request.context.__parent__)).path
    if target and target.startswith(backstage_path) and "//" not in target and "\\" not in target:
        return request.host_url + target
    return home


@view_config(context=Moderation, name="login", renderer="moderation/login.jinja2",
             request_method=("GET", "HEAD"), permission="view")
def login_form(context, request):
    return {"came_from": request.GET.get("came_from", ""), "error": None, "name": "",
            "csrf_token": get_csrf_token(request)}


@view_config(context=Moderation, name="login", renderer="moderation/login.jinja2",
             request_method="POST", permission="view")
def login(context, request):
    settings = request.registry.settings
    name = request.POST.get("name", "").strip()
    password = request.POST.get("password", "")
    came_from = request.POST.get("came_from", "")
    failures, wait = count_recent(request, "login", settings["portal.login.rate_window"])
    if failures >= settings["portal.login.rate_limit"]:
        request.response.status = 429
        request.response.headers["Retry-After"] = str(wait)
        return {"came_from": came_from, "name": name, "csrf_token": get_csrf_token(request),
                "error": f"Too many failed logins from your address; try again in {wait} seconds."}
    moderator = (request.dbsession.scalar(select(Moderator).where(Moderator.name == name))
                 if name else None)
    if not check_password(moderator.password_hash if moderator else None, password):
        record(request, "login", settings["portal.login.rate_window"])
        request.response.status = 400
        return {"came_from": came_from, "name": name, "csrf_token": get_csrf_token(request),
                "error": "Wrong name or password."}
    if needs_rehash(moderator.password_hash):
        moderator.password_hash = hash_password(password)
    remember(request, moderator.id)
    return HTTPSeeOther(location=_safe_return(request, came_from))


@view_config(context=Moderation, name="logout", request_method="POST", permission="view")
def logout(context, request):
    forget(request)
    return HTTPSeeOther(location=request.resource_url(request.site_root))


def _listing(request, context, *, title, tab, state=None, oldest_first=False, search=False):
    after = request.GET.get("after") or None
    page_key = request.GET.get("page", "").strip() if search else ""
    author = request.GET.get("author", "").strip() if search else ""
    try:
        position = store.decode_cursor(after) if after else None
    except BadCursor as exc:
        raise HTTPBadRequest(str(exc)) from None
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
    action, _, single = request.POST.get("do", "").partition(":")
    if action not in ACTIONS:
        raise HTTPBadRequest(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
    raw = [single] if single else request.POST.getall("id")
    try:
        ids = sorted({int(x) for x in raw})
    except ValueError:
        raise HTTPBadRequest("comment ids must be integers") from None
    if not ids:
        raise HTTPBadRequest("tick at least one comment first")
    if len(ids) > MAX_BULK:
        raise HTTPBadRequest(f"at most {MAX_BULK} comments at once")
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
    return HTTPSeeOther(location=_safe_return(request, request.POST.get("return_to")))
