"""Security headers on every response, cookie flags, and the request body size limit.

- ``security_headers_tween_factory`` sits at the top of the tween chain (under INGRESS), so
  every response gets the headers: pages, JSON, static files, 304s, error pages.
- ``harden_cookies`` gives every cookie, whoever sets it, HttpOnly, SameSite and Secure.
- ``limit_body`` answers a body larger than ``portal.max_body_bytes`` with the site's own
  413 page (JSON under ``/api/``), saying what the limit is.

The Content-Security-Policy allows no inline script or style. The debug toolbar injects
inline script and style, so when it is included (development.ini only) the policy is
relaxed for it; production never includes the toolbar.
"""

import logging

from pyramid.events import ContextFound, NewResponse
from pyramid.httpexceptions import HTTPRequestEntityTooLarge
from pyramid.response import Response
from pyramid.settings import aslist
from pyramid.tweens import INGRESS
from pyramid_retry import is_error_retryable, is_last_attempt

log = logging.getLogger(__name__)

# What a client gets if an error escapes every exception view (a bug in a tween, a failure
# while rendering an error page): never the WSGI server's bare page without headers.
LAST_RESORT = (
    b"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Server error</title>"
    b"</head><body><h1>Server error</h1><p>The portal could not answer this request. The "
    b"error has been logged; please try again in a moment.</p></body></html>"
)

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
# Development with pyramid_debugtoolbar only: it injects inline script and style.
TOOLBAR_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


def toolbar_included(settings):
    includes = settings.get("pyramid.includes") or ()
    if isinstance(includes, str):
        includes = aslist(includes)
    return any(name.split(":")[0].split(".")[0] == "pyramid_debugtoolbar" for name in includes)


def security_headers(settings):
    """The fixed headers of every response, computed once from the settings."""
    headers = {
        "Content-Security-Policy": TOOLBAR_CSP if toolbar_included(settings) else STRICT_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": settings["portal.referrer_policy"],
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if settings["portal.hsts"]:
        headers["Strict-Transport-Security"] = (
            f"max-age={settings['portal.hsts.max_age']}; includeSubDomains"
        )
    return headers


def harden_cookie(value, secure):
    """Add HttpOnly, SameSite=Lax and (in production) Secure to a Set-Cookie value that
    lacks them, so a cookie set by any view or plugin has the site's flags."""
    flags = {part.strip().split("=")[0].lower() for part in value.split(";")[1:]}
    if "httponly" not in flags:
        value += "; HttpOnly"
    if "samesite" not in flags:
        value += "; SameSite=Lax"
    if secure and "secure" not in flags:
        value += "; Secure"
    return value


def security_headers_tween_factory(handler, registry):
    fixed = list(security_headers(registry.settings).items())

    def security_headers_tween(request):
        try:
            response = handler(request)
        except Exception as exc:
            if is_error_retryable(request, exc) and not is_last_attempt(request):
                raise  # pyramid_retry runs the request again
            log.error("%s %s failed outside the exception views", request.method,
                      request.environ.get("PATH_INFO", "?"), exc_info=exc)
            response = Response(body=LAST_RESORT, status=500, content_type="text/html",
                                charset="utf-8")
            response.headers["Cache-Control"] = "no-store"
        headers = response.headers
        for name, value in fixed:
            if name not in headers:
                headers[name] = value
        return response

    return security_headers_tween


def harden_cookies(event):
    """``NewResponse`` subscriber (after the response callbacks, where the session sets its
    cookie): every cookie leaves with the site's flags."""
    headers = event.response.headers
    cookies = headers.getall("Set-Cookie")
    if cookies:
        secure = event.request.registry.settings["portal.cookies.secure"]
        del headers["Set-Cookie"]
        for value in cookies:
            headers.add("Set-Cookie", harden_cookie(value, secure))


class BodyTooLarge(HTTPRequestEntityTooLarge):
    pass


def limit_body(event):
    """``ContextFound`` subscriber: before any view reads the body, refuse one larger than
    ``portal.max_body_bytes``. Raised after traversal, so the 413 is the site's own page
    (JSON under ``/api/``) with the navigation of any other page."""
    request = event.request
    limit = request.registry.settings["portal.max_body_bytes"]
    # Waitress hands the application a chunked body with its length once received (and
    # refuses bodies over its own max_request_body_size, set in production.ini).
    length = request.content_length
    if length is not None and length > limit:
        raise _too_large(length, limit)


def _too_large(length, limit):
    return BodyTooLarge(
        detail=f"The request body is too large: this site accepts at most {limit} bytes per "
        f"request and this one sent {length} bytes. Shorten the text and send it again."
    )


def includeme(config):
    config.add_tween("portal.http.headers.security_headers_tween_factory", under=INGRESS)
    config.add_subscriber(limit_body, ContextFound)
    config.add_subscriber(harden_cookies, NewResponse)
