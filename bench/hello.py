"""The baseline: a minimal Pyramid application on waitress, with the portal's thread count.

    python bench/hello.py PORT
"""

import sys

import waitress
from pyramid.config import Configurator
from pyramid.response import Response


def hello(request):
    return Response("Hello, world!", content_type="text/plain")


def make_app():
    with Configurator() as config:
        config.add_route("hello", "/")
        config.add_view(hello, route_name="hello")
    return config.make_wsgi_app()


if __name__ == "__main__":
    import logging

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" under load
    # The same server settings as production.ini's [server:main].
    waitress.serve(make_app(), listen=f"127.0.0.1:{sys.argv[1]}", threads=8, _quiet=True)
