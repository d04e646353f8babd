"""Sessions, CSRF and the security policy.

Every unsafe request (POST, PUT, DELETE...) must carry the CSRF token: it is the default for
every view, so a view cannot forget it. Cookies are HttpOnly and SameSite=Lax, and Secure
when ``portal.cookies.secure`` is on (production)."""

from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.session import JSONSerializer, SignedCookieSessionFactory


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
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    config.set_default_csrf_options(require_csrf=True)
