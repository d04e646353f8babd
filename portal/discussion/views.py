"""Comments and ratings under every page: the discussion shown by page.jinja2, the form
posts (``@@comments``, ``@@edit-comment``, ``@@delete-comment``, ``@@rate``), and the
Atom feeds (``@@feed`` per page, ``/-/comments.atom`` for the site).

Without JavaScript every form posts and is answered 303 back to the page; a post that
breaks a rule shows the page again with the form, what was typed, and what to fix.
"""

import datetime
import functools
from urllib.parse import urlencode

from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender, subscriber
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.view import exception_view_config, view_config

from ..content.views import page_value
from ..events import PageRendered
from ..http.params import form_params, form_text, parse_integer, query_params
from ..resources import Backstage, Node, Root, Section
from . import comment_queries as comment_store
from . import comments, ratings
from . import rating_queries as rating_store
from .comment_queries import BadCursor
from .comments import Rejected
from .feeds import atom_feed
from .readers import edit_deadline, form_stamp, reader_key

SORTS = ("oldest", "newest")


class Discussion:
    """Everything page.jinja2's discussion partial shows for one page and one reader."""

    def __init__(self, request, page, form=None):
        self.request = request
        self.page = page
        settings = request.registry.settings
        self.moderation = settings["portal.comments.moderation"]
        self.max_length = settings["portal.comments.max_length"]
        self.max_links = settings["portal.comments.max_links"]
        self.edit_window_minutes = settings["portal.comments.edit_window"] // 60
        query = query_params(request)
        sort = query.text("sort", default="oldest", strip=True)
        self.sort = sort if sort in SORTS else "oldest"
        self.after = query.text("after", max_length=200, strip=True, empty_is_missing=True)
        self.thread_id = query.integer("thread", message="must be a comment id")
        self.edit_id = query.integer("edit", message="must be a comment id")
        reply = query.integer("reply", message="must be a comment id")
        if not form:  # a form shown again keeps what can be read of the address
            query.check()
        self._urls = request.registry.portal_urls
        self._base = str(self._urls.resource(request, page))
        self._keep = {}
        if self.sort != "oldest":
            self._keep["sort"] = self.sort
        if self.thread_id is not None:
            self._keep["thread"] = self.thread_id
        if self.after:
            self._keep["after"] = self.after
        self.form = form or {}
        self.errors = self.form.get("errors", {})
        # "Report a problem" (a link on every page) opens the comment form prefilled.
        self.reporting = not form and query.text("report", default="") == "1"
        self.prefill = "There is a problem on this page: " if self.reporting else ""
        # A page that has no comment nor rating at all asks the database nothing
        # (portal.discussion.activity): most pages, for most readers with state.
        discussed = request.registry.portal_discussed_pages
        quiet = (not form and self.thread_id is None and self.after is None and not reply
                 and discussed.may_skip(request, page.key))
        if quiet:
            self.entries, self.next_cursor, self.count = [], None, 0
            self.reply_to, self.rating, self.my_rating = None, rating_store.Summary(), None
        else:
            self._read(request, page, reply)
        child_keys = [child.key for child in page.children.values()]
        self.counts = (comment_store.approved_counts(request.dbsession, child_keys)
                       if discussed.any_discussed(request, child_keys) else {})
        self.best_rated = (best_rated(request, section=page.__name__)
                           if isinstance(page, Section) else [])
        # A page carries no per-reader string, so every reader gets the same bytes: the
        # forms fetch their CSRF token and stamp when first used (forms.js, from
        # GET /api/v1/csrf). A form shown again after a refused post carries both, so a
        # reader without JavaScript sends it once more and it goes through.
        self.stamp = form_stamp(request) if form else ""
        self.csrf_token = get_csrf_token(request) if form else ""
        self.token_url = request.route_url("api.csrf")

    def _read(self, request, page, reply):
        """The page's threads, counts and rating for this reader, from the database."""
        dbsession = request.dbsession
        try:
            if self.thread_id is not None:
                entry, self.next_cursor = comments.one_thread(
                    request, page, self.thread_id, after=self.after)
                if entry is None:
                    raise HTTPBadRequest(f"there is no thread {self.thread_id} on this page")
                self.entries = [entry]
            else:
                threads = comments.threads(request, page, sort=self.sort, after=self.after)
                self.entries, self.next_cursor = threads.entries, threads.next_cursor
        except BadCursor as exc:
            raise HTTPBadRequest(str(exc)) from None
        self.count = comment_store.approved_count(dbsession, page.key)
        reply = self.form.get("parent") or reply
        self.reply_to = None
        if reply:
            row = dbsession.get(comment_store.Comment, reply)
            if row is not None and row.page_key == page.key and row.state == "approved":
                self.reply_to = row
        self.rating = rating_store.summary(dbsession, page.key)
        self.my_rating = rating_store.own_rating(dbsession, page.key, reader_key(request))

    def link(self, anchor=None, **params):
        """A URL of this page keeping the reader's sort and position, with ``params``
        (None removes one). Called for every comment shown, so it is kept cheap: the
        page's URL is computed once."""
        query = dict(self._keep)
        for name, value in params.items():
            if value is None:
                query.pop(name, None)
            else:
                query[name] = value
        url = self._base + ("?" + urlencode(query) if query else "")
        return f"{url}#{anchor}" if anchor else url

    @functools.cached_property
    def own_token(self):
        """The CSRF token for the author's own edit and delete forms: shown only to a
        reader holding an edit grant, whose page is rendered for them alone."""
        return get_csrf_token(self.request)

    def action(self, name):
        return self._urls.resource(self.request, self.page, f"@@{name}")

    def edit_until(self, comment):
        """When the author's edit window for ``comment`` closes (UTC)."""
        return datetime.datetime.fromtimestamp(edit_deadline(self.request, comment),
                                               datetime.UTC)

    @property
    def api_rating_url(self):
        return self.request.route_url("api.rating.mine", key=self.page.key)


def best_rated(request, section=None, limit=5):
    """``[(node, ranked)]``: the best-rated pages of the site or of one section."""
    root = request.site_root
    nodes = {node.key: node for node in (root[section].walk() if section else root.pages())}
    if not request.registry.portal_discussed_pages.any_discussed(request, nodes):
        return []
    ranked = rating_store.best_rated(request.dbsession, page_keys=nodes, prefix=section,
                                     limit=limit)
    return [(nodes[r.page_key], r) for r in ranked]


@subscriber(PageRendered)
def add_discussion(event):
    if event.request.method in ("GET", "HEAD"):
        event.value["discussion"] = Discussion(event.request, event.context)


@subscriber(BeforeRender)
def add_best_rated(event):
    """The home page lists the best-rated pages of the whole site."""
    request = event.get("request")
    if (request is not None and event.get("renderer_name") == "home.jinja2"
            and isinstance(event.get("context"), Root)):
        event["best_rated"] = best_rated(request)


# -- form posts --------------------------------------------------------------------------

def read_form(request, **fields):
    """The form's fields through ``portal.http.params``: ``name=(kind, options)``; a field
    that cannot be read (a file, NUL, a number out of range) is a rule the post broke."""
    form = form_params(request)
    values = {name: getattr(form, kind)(name, **options) for name, (kind, options) in fields.items()}
    if form.errors:
        raise Rejected(form.errors)
    return values


@view_config(context=Node, name="comments", request_method="POST", permission="view")
def post_comment(context, request):
    form = read_form(request, body=("text", {"default": ""}), name=("text", {}),
                     parent=("integer", {"message": "must be a comment id (an integer)"}),
                     stamp=("text", {}), website=("text", {}))
    comment = comments.post(
        request, context,
        body=form["body"],
        name=form["name"],
        parent=form["parent"],
        stamp=form["stamp"],
        honeypot=form["website"],
    )
    if comment.parent_id is None:
        url = request.resource_url(context, query={"sort": "newest"}, anchor=f"comment-{comment.id}")
    else:
        url = request.resource_url(context, query={"thread": comment.root_id},
                                   anchor=f"comment-{comment.id}")
    return HTTPSeeOther(location=url)


@view_config(context=Node, name="edit-comment", request_method="POST", permission="view")
def edit_comment(context, request):
    form = read_form(request, id=("integer", {"message": "must be a comment id"}),
                     body=("text", {"default": ""}))
    comment = comments.edit(request, context, form["id"], form["body"])
    return HTTPSeeOther(location=request.resource_url(context, anchor=f"comment-{comment.id}"))


@view_config(context=Node, name="delete-comment", request_method="POST", permission="view")
def delete_comment(context, request):
    form = read_form(request, id=("integer", {"message": "must be a comment id"}))
    comments.delete_own(request, context, form["id"])
    return HTTPSeeOther(location=request.resource_url(context, anchor="comments"))


@view_config(context=Node, name="rate", request_method="POST", permission="view")
def rate(context, request):
    form = read_form(request, stars=("integer", {"minimum": 1, "maximum": 5, "message":
                                                 "must be an integer from 1 to 5"}))
    stars = ratings.parse_stars(form["stars"], strict=True)
    ratings.rate(request, context, stars)
    return HTTPSeeOther(location=request.resource_url(context, anchor="rating"))


@exception_view_config(Rejected, containment=Node)
def rejected_form(exc, request):
    """A form post broke a rule: the page again, the form filled in, the errors listed.
    (Raised, not returned, so pyramid_tm aborts whatever the request wrote.)"""
    return show_form_errors(request, exc.fields, exc.status, exc.retry_after)


@exception_view_config(BadCSRFToken, containment=Node)
def stale_form(exc, request):
    """The CSRF token was missing or did not match: a reader without JavaScript sending a
    form for the first time (pages carry no token), or a cookie that expired or was
    cleared. Nothing is stored; the form comes back with what was typed and a token, so
    sending it again works."""
    return show_form_errors(request, {"csrf_token": "needs to be sent once more to prove it "
                                                    "came from this site; check it and send "
                                                    "it again"}, 400)


def _integer_or_none(text):
    try:
        return parse_integer(text)
    except ValueError:
        return None


def show_form_errors(request, fields, status, retry_after=None):
    context = request.context
    form = {"errors": fields, "kind": request.view_name}
    if request.view_name == "comments":
        parent = form_text(request, "parent")
        form.update(body=form_text(request, "body"), name=form_text(request, "name"),
                    parent=_integer_or_none(parent))
    elif request.view_name == "edit-comment":
        form.update(body=form_text(request, "body"))
    value = page_value(context, request)
    discussion = value["discussion"] = Discussion(request, context, form=form)
    if request.view_name == "edit-comment" and status == 400:
        discussion.edit_id = _integer_or_none(form_text(request, "id"))
    renderer = "section.jinja2" if isinstance(context, Section) else "page.jinja2"
    response = render_to_response(renderer, value, request)
    response.status = status
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


# -- feeds -------------------------------------------------------------------------------

@view_config(context=Node, name="feed", request_method=("GET", "HEAD"), permission="view")
def page_feed(context, request):
    limit = request.registry.settings["portal.comments.feed_size"]
    rows = comment_store.latest_approved(request.dbsession, context.key, limit=limit)
    site = request.registry.settings["portal.site_name"]
    return atom_feed(
        request,
        rows,
        title=f"Comments on {context.title} · {site}",
        feed_url=request.resource_url(context, "@@feed"),
        home_url=request.resource_url(context),
        feed_id=f"page:{context.key}",
    )


@view_config(context=Backstage, name="comments.atom", request_method=("GET", "HEAD"),
             permission="view")
def site_feed(context, request):
    limit = request.registry.settings["portal.comments.feed_size"]
    rows = comment_store.latest_approved(request.dbsession, limit=limit)
    site = request.registry.settings["portal.site_name"]
    return atom_feed(
        request,
        rows,
        title=f"Comments on {site}",
        feed_url=request.resource_url(context, "comments.atom"),
        home_url=request.resource_url(request.site_root),
        feed_id="site",
    )
