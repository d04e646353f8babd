"""Who a client is, for limits: its address, keyed with the site secret."""

import hashlib
import hmac


def client_hash(request):
    """The client's address, keyed with the site secret: enough to count a client's
    posts, useless to anyone who reads the table."""
    key = request.registry.settings["portal.secret"].encode("utf-8")
    addr = (request.client_addr or "unknown").encode("utf-8")
    return hmac.new(key, b"client:" + addr, hashlib.sha256).hexdigest()
