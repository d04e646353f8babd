"""The reader's colour theme: ``system`` (follow the device), ``light`` or ``dark``, kept in
the ``portal_theme`` cookie and read by the server, so a page is drawn in its theme from the
first byte (no script, no flash, no layout shift). ``GET /-/theme?set=dark&next=/flask/``
sets it and comes back: the toggle works without JavaScript, and portal.js calls the same
URL in the background after switching at once."""

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from ..resources import Backstage

COOKIE = "portal_theme"
THEMES = ("light", "dark")
MAX_AGE = 365 * 24 * 3600


def theme_of(request):
    """The reader's chosen theme, or None to follow the system."""
    value = request.cookies.get(COOKIE)
    return value if value in THEMES else None


def safe_next(request, target):
    """``target`` if it is a path on this site, else the home page: the toggle's link
    cannot send a reader elsewhere."""
    if (isinstance(target, str) and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and not any(c in target for c in "\r\n\t")):
        return request.host_url + target
    return request.resource_url(request.site_root)


@view_config(context=Backstage, name="theme", request_method=("GET", "HEAD"), permission="view")
def set_theme(context, request):
    choice = request.GET.get("set", "system")
    response = HTTPSeeOther(location=safe_next(request, request.GET.get("next")))
    response.headers["Cache-Control"] = "no-store"
    if choice in THEMES:
        response.set_cookie(COOKIE, choice, max_age=MAX_AGE, path="/", samesite="Lax",
                            httponly=True, secure=request.registry.settings["portal.cookies.secure"])
    else:
        response.delete_cookie(COOKIE, path="/")
    return response
