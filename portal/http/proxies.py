"""Who the client is and what URL it asked for, behind proxies the operator trusts.

``portal.trusted_proxies`` (``PORTAL_TRUSTED_PROXIES``) lists the networks of the proxies in
front of the portal (a load balancer, the Kubernetes ingress controller). For a request
whose peer is in one of them, the tween below reads, from the right:

- ``X-Forwarded-For``: the client is the rightmost address that is not a trusted proxy
  (so a client cannot pick its own address by sending the header: only what a trusted
  proxy appended counts);
- ``X-Forwarded-Proto`` (``http`` or ``https``), ``X-Forwarded-Host`` and
  ``X-Forwarded-Port``: the scheme, host and port the client used, for the links, redirects
  and CSRF origin checks the portal makes.

The result is written into the WSGI environ (``REMOTE_ADDR``, ``wsgi.url_scheme``,
``HTTP_HOST``, ``SERVER_PORT``) and the forwarded headers are removed, always: nothing below
(``request.client_addr`` reads ``X-Forwarded-For`` otherwise) can be fooled by a client
sending them itself. With no trusted proxy, the peer's address is the client.
"""

import functools
import ipaddress
import re

from pyramid.exceptions import ConfigurationError

FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
             "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED")
_HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def networks(value):
    """``"10.0.0.0/8 127.0.0.1"`` (or a list) -> a tuple of networks; a setting parser."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    found = []
    for word in value or ():
        if not isinstance(word, str):
            found.append(word)
            continue
        try:
            found.append(ipaddress.ip_network(word, strict=False))
        except ValueError:
            raise ConfigurationError(
                f"setting portal.trusted_proxies (PORTAL_TRUSTED_PROXIES): {word!r} is not an "
                "IP address or network such as 10.0.0.0/8") from None
    return tuple(found)


# Both are asked on every request, mostly of the same few addresses (the proxy's, the
# clients'): remembered, they cost a dict look-up instead of parsing an address.
@functools.lru_cache(maxsize=4096)
def _address(text):
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _last(environ, name):
    values = [v.strip() for v in environ.get(name, "").split(",") if v.strip()]
    return values[-1] if values else None


@functools.lru_cache(maxsize=4096)
def trusted(address, nets):
    return address is not None and any(address in net for net in nets)


def apply_forwarded(environ, nets):
    """Resolve the client, scheme and host of ``environ`` behind ``nets``; drop the headers."""
    peer = _address(environ.get("REMOTE_ADDR", ""))
    if nets and trusted(peer, nets):
        client = peer
        hops = [h for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        while trusted(client, nets) and hops:
            previous = _address(hops.pop())
            if previous is None:
                break
            client = previous
        if client is not peer:
            environ["REMOTE_ADDR"] = str(client)
        proto = (_last(environ, "HTTP_X_FORWARDED_PROTO") or "").lower()
        if proto in ("http", "https"):
            environ["wsgi.url_scheme"] = proto
        host = _last(environ, "HTTP_X_FORWARDED_HOST")
        port = _last(environ, "HTTP_X_FORWARDED_PORT")
        if host and _HOST.fullmatch(host):
            environ["HTTP_HOST"] = host
        if port and port.isascii() and port.isdigit() and 0 < int(port) < 65536:
            environ["SERVER_PORT"] = port
            name = environ.get("HTTP_HOST", "").rsplit(":", 1)[0] if not environ.get(
                "HTTP_HOST", "").endswith("]") else environ["HTTP_HOST"]
            default = {"http": "80", "https": "443"}.get(environ.get("wsgi.url_scheme"))
            if name:
                environ["HTTP_HOST"] = name if port == default else f"{name}:{port}"
        elif proto in ("http", "https") and not (host and ":" in host.rsplit("]", 1)[-1]):
            environ["SERVER_PORT"] = "443" if proto == "https" else "80"
    for name in FORWARDED:
        environ.pop(name, None)


def forwarded_tween_factory(handler, registry):
    nets = registry.settings["portal.trusted_proxies"]

    def forwarded_tween(request):
        apply_forwarded(request.environ, nets)
        return handler(request)

    return forwarded_tween


def includeme(config):
    config.add_tween("portal.http.proxies.forwarded_tween_factory",
                     under="portal.http.headers.security_headers_tween_factory")
