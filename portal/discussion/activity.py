"""Which pages have any discussion, known in process, so a page without any asks the
database nothing when it is rendered.

Most pages have no comment and no rating. Rendering one for a reader with state (a comment
waiting elsewhere, the first view that fills the page cache) used to cost five statements
that all found nothing. ``DiscussedPages`` keeps the keys of the pages that have a comment
(in any state) or a rating:

- in this process, the comment and rating events add the page at once (before the
  transaction commits: a post that then fails leaves a page that is asked about for
  nothing, never one that hides a comment);
- across processes, the set is read again from the database at most every
  ``portal.discussion.refresh_seconds`` (production.ini: 5, as the page cache), so another
  process's first comment on a page shows within that delay, as the page cache's pages do;
- the reader who wrote it never waits: a reader holding an edit grant (every author, for
  the edit window) and a moderator are always asked about in the database.

``0`` (the default) turns it off: every rendered page asks the database.
"""

import threading

from sqlalchemy import select, union

from ..events import CommentEvent, RatingChanged
from .models import Comment, Rating
from .readers import EDIT_COOKIE_PREFIX

_DISCUSSED = union(select(Comment.page_key).distinct(), select(Rating.page_key).distinct())


class DiscussedPages:
    def __init__(self, refresh_seconds, clock):
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._keys = frozenset()
        self._loaded_at = None  # monotonic time of the last read; None: never read
        self._marked = {}  # page key -> when an event named it, kept across one reread
        self._lock = threading.Lock()

    @property
    def enabled(self):
        return self.refresh_seconds > 0

    def may_skip(self, request, page_key):
        """Whether ``page_key`` certainly has no comment nor rating, for this request's
        reader: False whenever in doubt (off, an author, a moderator)."""
        if not self.enabled or _always_asked(request):
            return False
        return page_key not in self.keys(request)

    def any_discussed(self, request, page_keys):
        if not self.enabled or _always_asked(request):
            return True
        keys = self.keys(request)
        return any(key in keys for key in page_keys)

    def keys(self, request):
        now = self.clock.monotonic()
        if self._loaded_at is None or now - self._loaded_at >= self.refresh_seconds:
            self._reload(request.dbsession, now)
        return self._keys

    def _reload(self, dbsession, now):
        with self._lock:
            if self._loaded_at is not None and now - self._loaded_at < self.refresh_seconds:
                return  # another thread read it meanwhile
            found = set(dbsession.scalars(_DISCUSSED))
            # A page an event named since the last read may belong to a transaction that
            # had not committed when this one read: keep it one more period.
            horizon = now - 2 * self.refresh_seconds
            self._marked = {k: t for k, t in self._marked.items() if t >= horizon}
            self._keys = frozenset(found | self._marked.keys())
            self._loaded_at = now

    def mark(self, page_key):
        with self._lock:
            self._marked[page_key] = self.clock.monotonic()
            if page_key not in self._keys:
                self._keys = self._keys | {page_key}

    def on_comment(self, event):
        self.mark(event.comment.page_key)

    def on_rating(self, event):
        self.mark(event.page_key)


def _always_asked(request):
    # A moderator's session, or an author's edit grant: their own writes show at once,
    # whichever process answers (the page cache treats the same cookies as reader state).
    cookies = request.cookies
    return "portal_session" in cookies or any(n.startswith(EDIT_COOKIE_PREFIX) for n in cookies)


def includeme(config):
    settings = config.get_settings()
    pages = DiscussedPages(settings["portal.discussion.refresh_seconds"],
                           config.registry.portal_clock)
    config.registry.portal_discussed_pages = pages
    config.add_subscriber(pages.on_comment, CommentEvent)
    config.add_subscriber(pages.on_rating, RatingChanged)
