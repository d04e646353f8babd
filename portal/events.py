"""Events plugins may subscribe to with ``config.add_subscriber(handler, PageRendered)``."""


class PageRendered:
    """A page (``context``) is about to be rendered; ``value`` is the template's dict,
    which a subscriber may add to."""

    def __init__(self, request, context, value):
        self.request = request
        self.context = context
        self.value = value


class CommentPosted:
    def __init__(self, request, comment):
        self.request = request
        self.comment = comment


class RatingChanged:
    def __init__(self, request, page_key, stars):
        self.request = request
        self.page_key = page_key
        self.stars = stars


class CommentsModerated:
    """A moderator approved, hid or deleted comments (``action``, ``comment_ids``): what
    readers see changed (the page cache empties)."""

    def __init__(self, request, action, comment_ids):
        self.request = request
        self.action = action
        self.comment_ids = comment_ids


def includeme(config):
    """Nothing to configure: the event types are the contract."""
