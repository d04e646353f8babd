"""Who a client is, for limits: its address, keyed with the site secret.

The address is the peer's (``REMOTE_ADDR``), which ``portal.http.proxies`` has already
replaced by the client's own behind a trusted proxy; ``request.client_addr`` is not used,
because WebOb reads it from ``X-Forwarded-For``, which any client can send."""

from .limits import keyed


def client_hash(request):
    """The client's address, keyed with the site secret: enough to count a client's
    posts, useless to anyone who reads the table."""
    return keyed(request, "client", request.remote_addr or "unknown")
