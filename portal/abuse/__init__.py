"""Abuse limits: per-client rate limits kept in the database, so they hold whichever process
answers (comment posts, failed logins, ratings)."""

from .clients import client_hash


def includeme(config):
    # Who the client is, keyed with the site secret: what every limit counts by.
    config.add_request_method(client_hash, "client_key", reify=True)
