"""The comment queries the views, the API, the feeds and moderation share.

Pagination is by keyset, never OFFSET: a page of threads is "the next N top-level
comments after (created_at, id)", which ``ix_comments_page_threads`` answers by an index
range scan on SQLite and PostgreSQL alike, however long the discussion; replies of those
threads come from ``ix_comments_root_created``.
"""

import datetime
import functools
import re

from sqlalchemy import (
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import aliased

from .models import Comment

# -- cursors -----------------------------------------------------------------------------

class BadCursor(ValueError):
    """A pagination cursor that this code did not make."""


# ``<microseconds since 1970>.<id>``: every string matching CURSOR_PATTERN is a position
# (the OpenAPI document says so, and the answers agree), with both numbers bounded.
CURSOR_PATTERN = r"^[0-9]{1,17}\.[0-9]{1,18}$"
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = datetime.datetime(1970, 1, 1)


def encode_cursor(comment):
    micros = (comment.created_at - _EPOCH) // datetime.timedelta(microseconds=1)
    return f"{micros}.{comment.id}"


def decode_cursor(text):
    """``(created_at, id)`` from a cursor made by ``encode_cursor``."""
    if not isinstance(text, str) or not _CURSOR.match(text):
        raise BadCursor(f"{str(text)[:40]!r} is not a cursor given by this site")
    micros, _, ident = text.partition(".")
    return _EPOCH + datetime.timedelta(microseconds=int(micros)), int(ident)


# -- visibility --------------------------------------------------------------------------

def visible_to(reader_key):
    """The rows a reader may see: approved ones, and their own pending ones."""
    if reader_key is None:
        return Comment.state == "approved"
    return or_(
        Comment.state == "approved",
        and_(Comment.state == "pending", Comment.author_key == reader_key),
    )


# -- reading -----------------------------------------------------------------------------
# The statements a page view runs are built once, with bound parameters, and reused: building
# them anew per request (an aliased EXISTS subquery, coercions, column proxies) cost more than
# running them (bench/RESULTS.md).

_READER = bindparam("reader_key")


def _visible(table, reader):
    """Approved rows, and the reader's own pending ones (``reader``: bound or None)."""
    if not reader:
        return table.state == "approved"
    return or_(table.state == "approved",
               and_(table.state == "pending", table.author_key == _READER))


@functools.cache
def _thread_page_statement(reader, newest, after):
    reply = aliased(Comment)
    shown = or_(_visible(Comment, reader), exists().where(
        reply.root_id == Comment.id, reply.id != Comment.id, _visible(reply, reader)))
    query = select(Comment).where(Comment.page_key == bindparam("page_key"), Comment.depth == 0, shown)
    if after:
        key = tuple_(Comment.created_at, Comment.id)
        position = tuple_(bindparam("after_at"), bindparam("after_id"))
        query = query.where(key < position if newest else key > position)
    order = (Comment.created_at.desc(), Comment.id.desc()) if newest else (Comment.created_at, Comment.id)
    return query.order_by(*order).limit(bindparam("limit"))


def thread_page(dbsession, page_key, *, reader_key=None, newest=False, after=None, limit=50):
    """One keyset page of a page's top-level comments: ``(roots, more)``.

    A top-level comment shows if the reader may see it, or, as a placeholder, if it was
    deleted or hidden but a reply below it is still visible.
    """
    params = {"page_key": page_key, "limit": limit + 1}
    if reader_key is not None:
        params["reader_key"] = reader_key
    if after is not None:
        params["after_at"], params["after_id"] = after
    statement = _thread_page_statement(reader_key is not None, newest, after is not None)
    rows = list(dbsession.scalars(statement, params))
    return rows[:limit], len(rows) > limit


_ROOTS = bindparam("roots", expanding=True)
_SHORT_THREADS = select(Comment).where(Comment.root_id.in_(_ROOTS), Comment.depth > 0)
_LONG_THREAD = (select(Comment).where(Comment.root_id == bindparam("root"), Comment.depth > 0)
                .order_by(Comment.created_at, Comment.id).limit(bindparam("limit")))


@functools.cache
def _reply_sizes_statement(reader):
    """Per thread: how many replies in all, and how many this reader may see (one scan)."""
    return (select(Comment.root_id, func.count(), func.count().filter(_visible(Comment, reader)))
            .where(Comment.root_id.in_(_ROOTS), Comment.depth > 0).group_by(Comment.root_id))


def replies_of(dbsession, root_ids, *, reader_key=None, per_thread=100):
    """The replies of ``root_ids`` a reader may see (or that hold visible replies), at most
    ``per_thread`` per thread, oldest first: ``{root_id: [comments]}``; plus how many of each
    thread's replies the reader may see in all."""
    if not root_ids:
        return {}, {}
    # Every state is read: a reply hidden from this reader may still hold a visible one
    # below it, and is then shown as a placeholder (see portal.discussion.comments).
    # A window function (row_number() over each thread) would read every reply of a
    # 10,000-reply thread to keep its first twenty (bench/RESULTS.md). Instead: count the
    # replies of each thread (one scan counts all and visible), read short threads whole, and
    # each long one by a range scan of ix_comments_root_created stopped at ``per_thread``.
    params = {"roots": list(root_ids)}
    if reader_key is not None:
        params["reader_key"] = reader_key
    counted = dbsession.execute(_reply_sizes_statement(reader_key is not None), params).all()
    sizes = {root: n for root, n, _ in counted}
    short = [root for root, n in sizes.items() if n <= per_thread]
    rows = []
    if short:
        rows += dbsession.scalars(_SHORT_THREADS, {"roots": short})
    for root in (root for root, n in sizes.items() if n > per_thread):
        rows += dbsession.scalars(_LONG_THREAD, {"root": root, "limit": per_thread})
    rows.sort(key=lambda row: (row.root_id, row.created_at, row.id))
    threads = {}
    for row in rows:
        threads.setdefault(row.root_id, []).append(row)
    # The visible totals say "N more replies" under a thread cut at ``per_thread``.
    totals = {root: visible for root, _, visible in counted}
    return threads, totals


def thread_replies(dbsession, root_id, *, after=None, limit=100):
    """A keyset page of one thread's replies, oldest first: ``(replies, more)``."""
    query = select(Comment).where(Comment.root_id == root_id, Comment.depth > 0)
    if after is not None:
        query = query.where(tuple_(Comment.created_at, Comment.id) > tuple_(*after))
    rows = list(dbsession.scalars(
        query.order_by(Comment.created_at, Comment.id).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def by_ids(dbsession, ids):
    if not ids:
        return []
    return list(dbsession.scalars(select(Comment).where(Comment.id.in_(list(ids)))))


_APPROVED_COUNT = select(func.count()).where(
    Comment.page_key == bindparam("page_key"), Comment.state == "approved")
_APPROVED_COUNTS = (select(Comment.page_key, func.count())
                    .where(Comment.page_key.in_(bindparam("keys", expanding=True)),
                           Comment.state == "approved")
                    .group_by(Comment.page_key))


def approved_count(dbsession, page_key):
    return dbsession.scalar(_APPROVED_COUNT, {"page_key": page_key})


def approved_counts(dbsession, page_keys):
    """``{page_key: approved comments}`` for the cards of a section listing."""
    if not page_keys:
        return {}
    return dict(dbsession.execute(_APPROVED_COUNTS, {"keys": list(page_keys)}).all())


def latest_approved(dbsession, page_key=None, limit=50):
    """The newest approved comments of one page (or the whole site), for the feeds."""
    query = select(Comment).where(Comment.state == "approved")
    if page_key is not None:
        query = query.where(Comment.page_key == page_key)
    return list(dbsession.scalars(
        query.order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)))


def has_approved_comment(dbsession, author_key):
    return dbsession.scalar(
        select(exists().where(Comment.author_key == author_key, Comment.state == "approved"))
    )


def moderation_page(dbsession, *, state=None, page_key=None, author=None, after=None,
                    limit=50, oldest_first=False):
    """Comments for the moderation screens, keyset-paginated: ``(rows, more)``."""
    query = select(Comment)
    if state is not None:
        query = query.where(Comment.state == state)
    if page_key:
        page_key = page_key.strip("/")
        query = query.where(or_(Comment.page_key == page_key,
                                Comment.page_key.startswith(page_key + "/", autoescape=True)))
    if author:
        query = query.where(func.lower(Comment.author_name).contains(author.lower(),
                                                                     autoescape=True))
    key = tuple_(Comment.created_at, Comment.id)
    if after is not None:
        query = query.where(key > tuple_(*after) if oldest_first else key < tuple_(*after))
    order = (Comment.created_at, Comment.id) if oldest_first else (
        Comment.created_at.desc(), Comment.id.desc())
    rows = list(dbsession.scalars(query.order_by(*order).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


# -- writing -----------------------------------------------------------------------------

def has_replies(dbsession, comment_id):
    return dbsession.scalar(select(exists().where(Comment.parent_id == comment_id)))


def remove(dbsession, comment):
    """Delete a comment: a comment with replies stays as a placeholder (its text gone);
    one without goes, and so do placeholders left with nothing below them."""
    while comment is not None:
        if has_replies(dbsession, comment.id):
            comment.state = "deleted"
            comment.body_source = ""
            comment.body_html = ""
            comment.edit_token_hash = None
            return
        parent = dbsession.get(Comment, comment.parent_id) if comment.parent_id else None
        dbsession.delete(comment)
        dbsession.flush()
        comment = parent if parent is not None and parent.state == "deleted" else None
