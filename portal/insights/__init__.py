"""Insights for authors and moderators: what readers make of the pages (ratings, comments,
missed searches) at ``/-/insights/`` and with ``portal insights`` on the command line."""


def includeme(config):
    config.scan(".views")
