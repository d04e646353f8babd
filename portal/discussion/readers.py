"""Anonymous readers and what they are allowed to do, carried in signed cookies.

- ``portal_reader``: a random id made the first time a reader posts or rates, signed so it
  cannot be forged. The database stores only its SHA-256 (``reader_key``), so a leaked
  table cannot be replayed as cookies. A logged-in moderator is ``moderator:<id>`` instead.
- ``portal_edit_<id>``: the right to edit or delete comment ``<id>`` for the edit window,
  bound to the comment id, a one-time nonce whose hash the row keeps, and a hash of the
  comment's text: after an edit the row gets a new nonce and text, so an old cookie (a
  copy taken before the edit) no longer matches anything.
- form stamps: the time a comment form was shown and a one-time nonce, signed, so a post
  that comes sooner than ``portal.comments.min_seconds`` after it is refused, whichever
  process served it; a stamp is good for one comment within
  ``portal.comments.stamp_seconds`` (its nonce is spent in ``client_events``).
"""

import calendar
import hashlib
import hmac
import secrets

from webob.cookies import SignedSerializer

from ..abuse.limits import keyed, over_limit

READER_COOKIE = "portal_reader"
# A comment of this reader's waits for a moderator: their pages show it to them, so they are
# drawn for them, not taken from the page cache (portal.http.caching.READER_STATE).
PENDING_COOKIE = "portal_pending"
PENDING_MAX_AGE = 7 * 24 * 3600
EDIT_COOKIE_PREFIX = "portal_edit_"
READER_MAX_AGE = 365 * 24 * 3600


def _signer(request, purpose):
    return SignedSerializer(request.registry.settings["portal.secret"], f"portal.{purpose}",
                            hashalg="sha256")


def _set_cookie(request, name, value, max_age):
    secure = request.registry.settings["portal.cookies.secure"]

    def callback(request, response):
        response.set_cookie(name, value, max_age=max_age, path="/", secure=secure,
                            httponly=True, samesite="Lax")

    request.add_response_callback(callback)


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- the reader --------------------------------------------------------------------------

def _reader_id(request):
    raw = request.cookies.get(READER_COOKIE)
    if not raw:
        return None
    try:
        value = _signer(request, "reader").loads(raw.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    return value if isinstance(value, str) else None


def reader_key(request):
    """Who is reading, for their ratings and pending comments; None for a reader who
    never posted nor rated (nothing is stored about them)."""
    moderator = request.identity
    if moderator is not None:
        return f"moderator:{moderator.id}"
    if "portal.reader_id" in request.environ:  # minted earlier in this request
        return sha256(request.environ["portal.reader_id"])
    ident = _reader_id(request)
    return sha256(ident) if ident else None


def ensure_reader(request):
    """The reader's key, making them a reader cookie first if they have none."""
    key = reader_key(request)
    if key is not None:
        return key
    ident = secrets.token_urlsafe(24)
    request.environ["portal.reader_id"] = ident
    value = _signer(request, "reader").dumps(ident).decode("ascii")
    _set_cookie(request, READER_COOKIE, value, READER_MAX_AGE)
    return sha256(ident)


def mark_pending(request):
    """Note in a cookie that this reader has a comment waiting (see PENDING_COOKIE)."""
    _set_cookie(request, PENDING_COOKIE, "1", PENDING_MAX_AGE)


# -- edit grants -------------------------------------------------------------------------

def grant_edit(request, comment):
    """Give this client the right to edit ``comment`` until the window closes (called
    after every post and edit; the comment must have its id and final text)."""
    window = request.registry.settings["portal.comments.edit_window"]
    remaining = int(window - (request.clock.time() - _epoch(comment.created_at)))
    nonce = secrets.token_urlsafe(18)
    comment.edit_token_hash = sha256(nonce)
    if remaining <= 0:
        return
    payload = {"c": comment.id, "n": nonce, "t": sha256(comment.body_source)}
    value = _signer(request, "edit").dumps(payload).decode("ascii")
    _set_cookie(request, f"{EDIT_COOKIE_PREFIX}{comment.id}", value, remaining)


def revoke_edit(request, comment_id):
    name = f"{EDIT_COOKIE_PREFIX}{comment_id}"
    request.add_response_callback(lambda req, resp: resp.delete_cookie(name, path="/"))


def may_edit(request, comment):
    """Whether this client holds a valid, current edit grant for ``comment``."""
    raw = request.cookies.get(f"{EDIT_COOKIE_PREFIX}{comment.id}")
    if not raw or comment.state == "deleted" or not comment.edit_token_hash:
        return False
    window = request.registry.settings["portal.comments.edit_window"]
    if request.clock.time() - _epoch(comment.created_at) > window:
        return False
    try:
        grant = _signer(request, "edit").loads(raw.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False
    if not isinstance(grant, dict) or grant.get("c") != comment.id:
        return False
    nonce, text = str(grant.get("n", "")), str(grant.get("t", ""))
    return (hmac.compare_digest(sha256(nonce), comment.edit_token_hash)
            and hmac.compare_digest(text, sha256(comment.body_source)))


def edit_deadline(request, comment):
    window = request.registry.settings["portal.comments.edit_window"]
    return _epoch(comment.created_at) + window


def _epoch(naive_utc):
    return calendar.timegm(naive_utc.utctimetuple()) + naive_utc.microsecond / 1e6


# -- form stamps -------------------------------------------------------------------------

def form_stamp(request):
    """A signed "this form was shown now", good for one comment."""
    payload = {"t": request.clock.time(), "n": secrets.token_urlsafe(12)}
    return _signer(request, "form").dumps(payload).decode("ascii")


class BadStamp(ValueError):
    pass


def stamp_age(request, value):
    """Seconds since the form carrying ``value`` was shown; BadStamp if forged or stale."""
    if not value:
        raise BadStamp("missing")
    try:
        stamp = _signer(request, "form").loads(str(value).encode("ascii"))
        age = request.clock.time() - float(stamp["t"])
        nonce = str(stamp["n"])
    except (ValueError, UnicodeEncodeError, KeyError, TypeError):
        raise BadStamp("not a form stamp made by this site") from None
    lifetime = request.registry.settings["portal.comments.stamp_seconds"]
    if age > lifetime or age < -5:
        raise BadStamp("expired")
    # Spent in the request's transaction: a refused post (which aborts) does not spend it.
    if over_limit(request, "stamp", 1, lifetime, who=keyed(request, "stamp", nonce)):
        raise BadStamp("already sent once")
    return age
