"""Posting, editing and showing comments: the rules shared by the HTML views and the
JSON API. Views turn requests into calls here and ``Rejected`` into 4xx answers.

Nothing is stored unless every rule passes: a rule that fails raises ``Rejected``,
which an exception view renders, and pyramid_tm aborts the transaction of any request
that ended in an exception view.
"""

from dataclasses import dataclass, field

from ..abuse.limits import over_limit
from ..events import CommentDeleted, CommentHeld, CommentPosted
from . import comment_queries as store
from .models import MAX_DEPTH, Comment
from .readers import (
    BadStamp,
    ensure_reader,
    grant_edit,
    mark_pending,
    may_edit,
    reader_key,
    revoke_edit,
    stamp_age,
)
from .sanitizer import count_links, render_comment

NAME_MAX = 80


class Rejected(Exception):
    """A post that breaks a rule: ``fields`` maps each bad field to what is wrong."""

    def __init__(self, fields, status=400, message=None, retry_after=None):
        self.fields = fields
        self.status = status
        self.message = message or "; ".join(f"{k}: {v}" for k, v in fields.items())
        self.retry_after = retry_after
        super().__init__(self.message)


def _settings(request):
    return request.registry.settings


def check_body(request, body, errors):
    """Validate and render a body; the rendered HTML, or None with ``errors`` filled."""
    settings = _settings(request)
    if not isinstance(body, str):
        errors["body"] = "must be a string"
        return None
    if not body.strip():
        errors["body"] = "write something first"
        return None
    if len(body) > settings["portal.comments.max_length"]:
        errors["body"] = (f"is {len(body)} characters long; the limit is "
                          f"{settings['portal.comments.max_length']}")
        return None
    if "\x00" in body:
        errors["body"] = "contains a NUL character"
        return None
    html = render_comment(body)
    links = count_links(html)
    if links > settings["portal.comments.max_links"]:
        errors["body"] = (f"has {links} links; at most {settings['portal.comments.max_links']} "
                          "are allowed in one comment")
        return None
    if not html:
        errors["body"] = "has nothing to show once formatted"
        return None
    return html


def trusted(request):
    """Whoever may moderate needs no moderation: asked of the Moderation resource's ACL,
    like every other decision about moderators."""
    moderation = request.site_root.backstage.children["moderation"]
    return bool(request.has_permission("moderate", moderation))


def moderation_state(request, author):
    """``approved`` or ``pending``, by the site's moderation mode."""
    if trusted(request):
        return "approved"
    mode = _settings(request)["portal.comments.moderation"]
    if mode == "all":
        return "pending"
    if mode == "first" and not store.has_approved_comment(request.dbsession, author):
        return "pending"
    return "approved"


def post(request, page, *, body, name=None, parent=None, stamp=None, honeypot=None):
    """Store a comment (or a reply to ``parent``, a comment id) on ``page``."""
    settings = _settings(request)
    errors = {}
    if honeypot:
        errors["website"] = "must be left empty (it is there to catch spam robots)"
    try:
        age = stamp_age(request, stamp)
    except BadStamp as exc:
        errors["stamp"] = f"the form is {exc}; reload the page and send again"
    else:
        if age < settings["portal.comments.min_seconds"]:
            errors["stamp"] = ("sent too quickly after the form was shown; wait a few "
                               "seconds and send again")
    if name is not None and not isinstance(name, str):
        errors["name"] = "must be a string"
        name = None
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX:
        errors["name"] = f"is {len(name)} characters long; the limit is {NAME_MAX}"
    parent_row = None
    if parent is not None and parent != "":
        parent_row = find_parent(request, page, parent, errors)
    html = check_body(request, body, errors)
    if errors:
        raise Rejected(errors)

    wait = over_limit(request, "comment", settings["portal.comments.rate_limit"],
                      settings["portal.comments.rate_window"])
    if wait is not None:
        raise Rejected({"client": f"too many comments from your address; try again in "
                                  f"{wait} seconds"}, status=429, retry_after=wait)

    author = ensure_reader(request)
    now = request.clock.utcnow()
    if not name and request.identity is not None:
        name = request.identity.name
    comment = Comment(
        page_key=page.key,
        parent_id=parent_row.id if parent_row else None,
        root_id=parent_row.root_id if parent_row else None,
        depth=min(parent_row.depth + 1, MAX_DEPTH) if parent_row else 0,
        author_name=name or None,
        author_key=author,
        body_source=body,
        body_html=html,
        state=moderation_state(request, author),
        client_hash=request.client_key,
        created_at=now,
        updated_at=now,
    )
    if comment.state == "pending":
        mark_pending(request)
    request.dbsession.add(comment)
    request.dbsession.flush()
    if comment.root_id is None:
        comment.root_id = comment.id
    grant_edit(request, comment)
    request.dbsession.flush()
    # Held comments fire their own event: a notification never shows one (docs/events.md).
    event = CommentPosted if comment.state == "approved" else CommentHeld
    request.registry.notify(event(request, comment))
    return comment


def find_parent(request, page, parent, errors):
    try:
        ident = int(parent)
    except (TypeError, ValueError):
        errors["parent"] = "must be a comment id (an integer)"
        return None
    if isinstance(parent, bool):
        errors["parent"] = "must be a comment id (an integer)"
        return None
    row = request.dbsession.get(Comment, ident)
    if row is None:
        errors["parent"] = f"there is no comment {ident}"
    elif row.page_key != page.key:
        errors["parent"] = f"comment {ident} is not on this page"
    elif row.state != "approved":
        errors["parent"] = f"comment {ident} is not open for replies"
    else:
        return row
    return None


def editable(request, page, comment_id):
    """The comment this client may still edit, or Rejected (403) saying why not."""
    try:
        comment = request.dbsession.get(Comment, int(comment_id))
    except (TypeError, ValueError):
        comment = None
    if comment is None or comment.page_key != page.key:
        raise Rejected({"id": "there is no such comment on this page"}, status=404)
    if not may_edit(request, comment):
        raise Rejected({"id": "this comment can no longer be changed from this browser: "
                              "the edit window has closed, or it was changed elsewhere"},
                       status=403)
    return comment


def edit(request, page, comment_id, body):
    comment = editable(request, page, comment_id)
    errors = {}
    html = check_body(request, body, errors)
    if errors:
        raise Rejected(errors)
    comment.body_source = body
    comment.body_html = html
    comment.updated_at = request.clock.utcnow()
    if _settings(request)["portal.comments.moderation"] == "all" and not trusted(request):
        comment.state = "pending"
    grant_edit(request, comment)  # a new nonce and text: older grants stop working
    request.dbsession.flush()
    return comment


def delete_own(request, page, comment_id):
    comment = editable(request, page, comment_id)
    ident = comment.id
    request.registry.notify(CommentDeleted(request, comment, by_moderator=False))
    store.remove(request.dbsession, comment)
    revoke_edit(request, ident)


# -- showing -----------------------------------------------------------------------------

@dataclass
class Entry:
    """One comment as a reader sees it, with the replies shown below it."""

    comment: Comment
    visible: bool  # False: a placeholder standing for a deleted or hidden comment
    pending: bool = False  # the reader's own comment, waiting for a moderator
    can_edit: bool = False
    in_reply_to: Comment | None = None  # set when shown away from its parent
    children: list = field(default_factory=list)
    more_replies: int = 0  # replies not loaded (top-level entries only)

    @property
    def id(self):
        return self.comment.id

    def any_visible(self):
        return self.visible or any(child.any_visible() for child in self.children)


@dataclass
class Threads:
    entries: list
    next_cursor: str | None
    sort: str
    after: str | None


def _entry(request, comment, key):
    visible = comment.state == "approved" or (
        comment.state == "pending" and key is not None and comment.author_key == key)
    return Entry(
        comment=comment,
        visible=visible,
        pending=visible and comment.state == "pending",
        # Only the author's own comments can carry an edit grant: checking the grant's
        # signature for every comment on the page was a tenth of a rendered page.
        can_edit=visible and key is not None and comment.author_key == key and may_edit(request, comment),
    )


def _prune(entries):
    kept = []
    for entry in entries:
        entry.children = _prune(entry.children)
        if entry.any_visible():
            kept.append(entry)
    return kept


def build_thread(request, root, replies, key, elsewhere=None):
    """A thread's entries: replies under their parent, or beside it once the parent is at
    MAX_DEPTH; a reply whose parent is not loaded (``elsewhere``: id -> comment, shown on
    an earlier page) goes under the top-level comment, saying whom it answers."""
    elsewhere = elsewhere or {}
    top = _entry(request, root, key)
    entries = {root.id: top}
    shown_under = {root.id: top}  # id -> the entry whose children list holds it
    for reply in replies:
        entry = _entry(request, reply, key)
        parent = entries.get(reply.parent_id)
        if parent is None:
            host = top
            entry.in_reply_to = elsewhere.get(reply.parent_id)
        elif parent.comment.depth < reply.depth:
            host = parent
        else:  # parent already at the deepest level: attach beside it
            host = shown_under[parent.id]
            entry.in_reply_to = parent.comment
        host.children.append(entry)
        entries[reply.id] = entry
        shown_under[reply.id] = host
    top.children = _prune(top.children)
    return top


def threads(request, page, *, sort="oldest", after=None, limit=None):
    """A keyset page of ``page``'s threads for this reader."""
    settings = _settings(request)
    limit = limit or settings["portal.comments.page_size"]
    per_thread = settings["portal.comments.thread_replies"]
    key = reader_key(request)
    position = store.decode_cursor(after) if after else None
    roots, more = store.thread_page(request.dbsession, page.key, reader_key=key,
                                    newest=(sort == "newest"), after=position, limit=limit)
    replies, totals = store.replies_of(request.dbsession, [r.id for r in roots],
                                       reader_key=key, per_thread=per_thread)
    entries = []
    for root in roots:
        loaded = replies.get(root.id, [])
        entry = build_thread(request, root, loaded, key)
        if len(loaded) >= per_thread:
            shown = sum(1 for r in loaded if _entry(request, r, key).visible)
            entry.more_replies = max(0, totals.get(root.id, 0) - shown)
        entries.append(entry)
    cursor = store.encode_cursor(roots[-1]) if more and roots else None
    return Threads(entries=entries, next_cursor=cursor, sort=sort, after=after)


def one_thread(request, page, root_id, *, after=None, limit=None):
    """One thread with a keyset page of its replies: ``(entry, next_cursor)``, or
    ``(None, None)`` if the page has no such thread for this reader."""
    key = reader_key(request)
    root = request.dbsession.get(Comment, root_id)
    if root is None or root.page_key != page.key or root.depth != 0:
        return None, None
    limit = limit or _settings(request)["portal.comments.thread_replies"]
    position = store.decode_cursor(after) if after else None
    replies, more = store.thread_replies(request.dbsession, root.id, after=position, limit=limit)
    loaded = {root.id} | {r.id for r in replies}
    missing = {r.parent_id for r in replies} - loaded
    elsewhere = {c.id: c for c in store.by_ids(request.dbsession, missing)}
    entry = build_thread(request, root, replies, key, elsewhere)
    if not entry.any_visible():
        return None, None
    return entry, (store.encode_cursor(replies[-1]) if more and replies else None)
