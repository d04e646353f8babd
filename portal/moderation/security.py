"""Sessions, CSRF and the security policy (moderators, logged in through a server-side
session, ``portal.moderation.sessions``).

Every unsafe request (POST, PUT, DELETE...) must carry the CSRF token: it is the default for
every view, so a view cannot forget it. The token lives in a cookie of its own
(``portal_csrf``, double submit), so a reader who only reads or posts holds no session.
Cookies are HttpOnly and SameSite=Lax, and Secure when ``portal.cookies.secure`` is on."""

from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.csrf import CookieCSRFStoragePolicy, new_csrf_token
from pyramid.request import RequestLocalCache

from ..resources import MODERATOR
from .sessions import session_factory


class SessionSecurityPolicy:
    """Pyramid 2 security policy: the identity is the moderator of the request's session
    (read once per request, only when the browser sent a session cookie); a moderator has
    the principals ``moderator:<name>`` and ``role:moderator`` (portal.resources.MODERATOR),
    which the resources' ``__acl__`` grant permissions to. Readers are ``Everyone``."""

    def __init__(self):
        self.acl = ACLHelper()
        self.cache = RequestLocalCache(self.load_identity)

    def load_identity(self, request):
        return request.session.moderator

    def identity(self, request):
        return self.cache.get_or_create(request)

    def authenticated_userid(self, request):
        moderator = self.identity(request)
        return None if moderator is None else f"moderator:{moderator.id}"

    def effective_principals(self, request):
        principals = [Everyone]
        moderator = self.identity(request)
        if moderator is not None:
            principals += [Authenticated, f"moderator:{moderator.name}", MODERATOR]
        return principals

    def permits(self, request, context, permission):
        return self.acl.permits(context, self.effective_principals(request), permission)

    def remember(self, request, userid, **kw):
        """Log in ``userid`` (a ``Moderator``): a new session (no fixation), a new CSRF token."""
        request.session.login(userid)
        new_csrf_token(request)
        self.cache.clear(request)
        return []

    def forget(self, request, **kw):
        """Log out: the session's row is deleted, so a copy of the cookie is worth nothing."""
        request.session.invalidate()
        self.cache.clear(request)
        return []


def includeme(config):
    settings = config.get_settings()
    config.set_session_factory(session_factory)
    config.set_csrf_storage_policy(CookieCSRFStoragePolicy(
        cookie_name="portal_csrf", secure=settings["portal.cookies.secure"], httponly=True,
        samesite="Lax"))
    config.set_default_csrf_options(require_csrf=True)
    config.set_security_policy(SessionSecurityPolicy())
