"""For search engines and browsers: ``/sitemap.xml`` (every section and page, with the date each was
last updated when its front matter says) and ``/robots.txt`` (pointing at the sitemap,
keeping crawlers out of the portal's own pages, the search results and the API)."""

from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from pyramid.path import AssetResolver
from pyramid.response import FileResponse, Response
from pyramid.view import view_config

from ..resources import BACKSTAGE, Root

READ = ("GET", "HEAD")


@view_config(context=Root, name="sitemap.xml", request_method=READ, permission="view")
def sitemap(context, request):
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
             f"  <url><loc>{escape(request.resource_url(context))}</loc></url>"]
    for node in context.pages():
        updated = node.doc.updated
        lastmod = f"<lastmod>{updated.isoformat()}</lastmod>" if updated else ""
        lines.append(f"  <url><loc>{escape(request.resource_url(node))}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return Response("\n".join(lines) + "\n", content_type="application/xml", charset="utf-8")


@view_config(context=Root, name="robots.txt", request_method=READ, permission="view")
def robots(context, request):
    base = urlsplit(request.resource_url(context)).path  # "/" or the mount point
    lines = [
        "User-agent: *",
        f"Disallow: {base}{BACKSTAGE}/",
        f"Disallow: {base}@@search",
        f"Disallow: {base}search",
        f"Disallow: {base}api/",
        f"Sitemap: {request.resource_url(context, 'sitemap.xml')}",
    ]
    return Response("\n".join(lines) + "\n", content_type="text/plain", charset="utf-8")


@view_config(context=Root, name="favicon.ico", request_method=READ, permission="view")
def favicon(context, request):
    """Browsers ask for /favicon.ico before reading the page's icon links."""
    path = AssetResolver().resolve("portal:static/images/favicon.ico").abspath()
    response = FileResponse(path, request=request, content_type="image/x-icon")
    response.cache_control.max_age = 86400
    response.cache_control.public = True
    return response
