"""Sessions, CSRF and the security policy (moderators, logged in through the session).

Every unsafe request (POST, PUT, DELETE...) must carry the CSRF token: it is the default for
every view, so a view cannot forget it. Cookies are HttpOnly and SameSite=Lax, and Secure
when ``portal.cookies.secure`` is on (production)."""

from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.csrf import CookieCSRFStoragePolicy, new_csrf_token
from pyramid.request import RequestLocalCache
from pyramid.session import JSONSerializer, SignedCookieSessionFactory

from ..resources import MODERATOR
from .models import Moderator

SESSION_KEY = "moderator"


class SessionSecurityPolicy:
    """Pyramid 2 security policy: the identity is the moderator whose id the (signed)
    session holds, loaded once per request; a moderator has the principals
    ``moderator:<name>`` and ``role:moderator`` (portal.resources.MODERATOR), which the
    resources' ``__acl__`` grant permissions to. Readers are ``Everyone``."""

    def __init__(self):
        self.acl = ACLHelper()
        self.cache = RequestLocalCache(self.load_identity)

    def load_identity(self, request):
        ident = request.session.get(SESSION_KEY)
        if not isinstance(ident, int):
            return None
        return request.dbsession.get(Moderator, ident)

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
        """Log ``userid`` (a moderator id) in: a new session (no fixation) and CSRF token."""
        request.session.invalidate()
        request.session[SESSION_KEY] = userid
        new_csrf_token(request)
        self.cache.clear(request)
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        self.cache.clear(request)
        return []


def includeme(config):
    settings = config.get_settings()
    factory = SignedCookieSessionFactory(
        settings["portal.secret"],
        cookie_name="portal_session",
        secure=settings["portal.cookies.secure"],
        httponly=True,
        samesite="Lax",
        serializer=JSONSerializer(),
        timeout=None,
        reissue_time=None,
    )
    config.set_session_factory(factory)
    # The token lives in a cookie of its own (double submit), not in a session: a reader
    # who only ever read or posted holds no session at all.
    config.set_csrf_storage_policy(CookieCSRFStoragePolicy(
        cookie_name="portal_csrf", secure=settings["portal.cookies.secure"], httponly=True,
        samesite="Lax"))
    config.set_default_csrf_options(require_csrf=True)
    config.set_security_policy(SessionSecurityPolicy())
