"""The events plugins may subscribe to: ``config.add_subscriber(handler, CommentPosted)``.

Each event carries the ``request`` it happened in; the rest of its payload is listed in
docs/events.md. Subscribers run inside that request (and its database transaction): they
must not commit, roll back or call the network. A subscriber that raises is isolated by
the plugin host (it loses its own contribution, never the page).

Since plugin contract 1.1: ``CommentPosted`` fires only for comments readers can see (a
comment held for moderation fires ``CommentHeld``, and ``CommentPosted`` when a moderator
approves it); ``CommentApproved``, ``CommentHidden`` and ``CommentDeleted`` report the
moderators' actions and a reader deleting their own comment. ``CommentEvent`` is the base
of every comment event, to subscribe to all of them at once.
"""


class PageRendered:
    """A page or section landing (``context``) is about to be rendered; ``value`` is the
    template's dict, which a subscriber may add to."""

    def __init__(self, request, context, value):
        self.request = request
        self.context = context
        self.value = value


class CommentEvent:
    """Something happened to ``comment`` (a ``portal.discussion.models.Comment``).

    ``page_key`` is the page's key (``section/page``); ``visible`` says whether readers
    can see the comment now (its state is ``approved``)."""

    def __init__(self, request, comment):
        self.request = request
        self.comment = comment

    @property
    def page_key(self):
        return self.comment.page_key

    @property
    def visible(self):
        return self.comment.state == "approved"


class CommentPosted(CommentEvent):
    """A comment readers can see: posted and visible at once, or approved by a moderator
    after it was held (then ``approved`` is True). A comment held for moderation does not
    fire it (``CommentHeld`` does), so a notification never shows a held comment."""

    def __init__(self, request, comment, approved=False):
        super().__init__(request, comment)
        self.approved = approved


class CommentHeld(CommentEvent):
    """A comment was stored but held for moderation: readers other than its author do
    not see it (``visible`` is False)."""


class CommentApproved(CommentEvent):
    """A moderator approved a comment (``request.identity`` is the moderator);
    ``previous_state`` is ``pending`` or ``hidden``."""

    def __init__(self, request, comment, previous_state):
        super().__init__(request, comment)
        self.previous_state = previous_state


class CommentHidden(CommentEvent):
    """A moderator hid a comment: readers see a placeholder instead of its text;
    ``previous_state`` is what it was before."""

    def __init__(self, request, comment, previous_state):
        super().__init__(request, comment)
        self.previous_state = previous_state


class CommentDeleted(CommentEvent):
    """A comment is being deleted, by a moderator (``by_moderator`` True) or by its
    author within the edit window. Fired before the row is removed (a comment with
    replies stays as a placeholder), so ``comment`` still has its text and id."""

    def __init__(self, request, comment, by_moderator):
        super().__init__(request, comment)
        self.by_moderator = by_moderator

    @property
    def visible(self):
        return False


class RatingChanged:
    """A reader rated a page (a first rating or a changed one): ``page_key`` is the
    page's key, ``stars`` 1 to 5."""

    def __init__(self, request, page_key, stars):
        self.request = request
        self.page_key = page_key
        self.stars = stars
