"""Moderation: moderators (argon2-hashed passwords), their sessions and the security policy
that maps them to a principal, the login, and the moderation screens under
``/-/moderation/``; ``portal moderator`` on the command line."""


def includeme(config):
    config.include(".security")
    config.scan(".views")
