"""Rating a page: the rule shared by the form view and the JSON API."""

from ..abuse.limits import over_limit
from ..events import RatingChanged
from . import rating_queries as store
from .comments import Rejected
from .readers import ensure_reader, reader_key


def parse_stars(value, *, strict):
    """1..5 from a form field (a string) or, ``strict``, from JSON (an integer only)."""
    if isinstance(value, bool):
        value = None
    if not strict and isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value not in store.STARS:
        raise Rejected({"stars": "must be an integer from 1 to 5"})
    return value


def rate(request, page, stars):
    """Set this reader's rating of ``page`` (one per reader per page, an upsert), within
    the limits per client address and per reader (a script without cookies is a new
    reader each time, so the address limit is what stops it)."""
    settings = request.registry.settings
    window = settings["portal.ratings.rate_window"]
    wait = over_limit(request, "rating", settings["portal.ratings.rate_limit"], window)
    if wait is None:
        reader = ensure_reader(request)
        wait = over_limit(request, "rating-reader", settings["portal.ratings.reader_limit"],
                          window, who=reader)
    if wait is not None:
        raise Rejected({"client": f"too many ratings from your address or browser; try "
                                  f"again in {wait} seconds"}, status=429, retry_after=wait)
    store.upsert(request.dbsession, page.key, reader, stars, now=request.clock.utcnow())
    request.registry.notify(RatingChanged(request, page.key, stars))
    return reader


def summary(request, page):
    """The page's summary and this reader's own rating, as the API and the JS want it."""
    result = store.summary(request.dbsession, page.key).as_json()
    result["page"] = page.key
    result["mine"] = store.own_rating(request.dbsession, page.key, reader_key(request))
    return result
