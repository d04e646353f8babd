"""The baseline: a minimal Pyramid application on waitress, with the portal's thread count.

    python bench/hello.py PORT [BODY_BYTES]

With BODY_BYTES, it answers that many bytes instead of "Hello, world!": the cost of
sending a page-sized body through waitress, with no application work at all.
"""

import sys

import waitress
from pyramid.config import Configurator
from pyramid.response import Response

BODY = b"Hello, world!"


def hello(request):
    return Response(body=BODY, content_type="text/plain")


def make_app():
    with Configurator() as config:
        config.add_route("hello", "/")
        config.add_view(hello, route_name="hello")
    return config.make_wsgi_app()


if __name__ == "__main__":
    import logging

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" under load
    # The same server settings as production.ini's [server:main].
    if len(sys.argv) > 2:
        BODY = b"x" * int(sys.argv[2])
    waitress.serve(make_app(), listen=f"127.0.0.1:{sys.argv[1]}", threads=8, _quiet=True)
