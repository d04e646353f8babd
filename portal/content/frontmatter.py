"""Front matter: the YAML between ``---`` lines at the top of a page, read and checked.

A key of the wrong type fails the page (and its plugin) with the file and line; a key the
portal does not know (a typo such as ``sumary:``) is a located warning, shown by
``portal plugin check`` and on ``/-/plugins``. Keys starting with ``x-`` are a plugin's own
(for its templates) and never reported.
"""

import datetime
import difflib

import yaml

from .documents import ContentError, Problem

# key -> the type it must have (``object``: checked by whoever reads it).
FRONT_MATTER_KEYS = {
    "title": str,
    "summary": str,
    "order": int,
    "tags": list,
    "updated": object,
    "keywords": list,  # words readers may search for that the page does not use (portal.search)
    "tested_with": object,  # the versions a section's examples were tested with (index.md)
    "example": object,  # a worked example's tested project (how it is set up and run)
    "edit_uri": str,  # index.md: where pages are edited, under Project-URL Source (edit_links)
    "share_image": str,  # index.md: the image shown when a page of the section is shared
}
OWN_PREFIX = "x-"
# libyaml's safe loader when PyYAML was built with it: ten times faster at start-up.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _pure_yaml_error(text):
    """The pure-Python loader's error for ``text``: its messages and positions are the
    ones authors find clearest (libyaml's differ), and errors are rare enough to parse twice."""
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return exc
    return yaml.YAMLError("cannot be parsed")


def read_front_matter(file, tokens):
    """The front matter of a parsed page (``tokens`` from the Markdown parser) as a dict,
    typed and checked; raises ``ContentError`` naming the file and line."""
    if not tokens or tokens[0].type != "front_matter":
        return {}
    token = tokens[0]
    try:
        meta = yaml.load(token.content, Loader=_YAML_LOADER)
    except yaml.YAMLError:
        exc = _pure_yaml_error(token.content)
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1  # +1 for the opening ---, +1 for 1-based
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError.at(file, line, f"invalid front matter: {problem}") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ContentError.at(file, 2, "invalid front matter: expected key: value pairs")
    for key, kind in FRONT_MATTER_KEYS.items():
        if key in meta and not isinstance(meta[key], kind):
            raise ContentError.at(
                file, key_line(token, key),
                f"invalid front matter: {key!r} must be {kind.__name__}, "
                f"got {type(meta[key]).__name__}",
            )
    if "updated" in meta:
        meta["updated"] = _as_date(file, key_line(token, "updated"), meta["updated"])
    for key in ("tags", "keywords"):
        if key in meta:
            meta[key] = [str(t) for t in meta[key] if t is not None]
    return meta


def unknown_keys(file, token, meta):
    """A located warning for each front matter key the portal does not know."""
    problems = []
    for key in meta:
        if not isinstance(key, str) or key in FRONT_MATTER_KEYS or key.startswith(OWN_PREFIX):
            continue
        close = difflib.get_close_matches(key, sorted(FRONT_MATTER_KEYS), n=1, cutoff=0.7)
        hint = (f"did you mean {close[0]!r}?" if close else
                f"known keys: {', '.join(FRONT_MATTER_KEYS)}; a plugin's own start with {OWN_PREFIX!r}")
        problems.append(Problem(file, key_line(token, key), f"unknown front matter key {key!r} ({hint})"))
    return problems


def key_line(front_matter, key):
    """The line of ``key:`` in a front matter token (its first line if not found)."""
    first = front_matter.map[0] if front_matter.map else 0
    for i, text in enumerate(front_matter.content.splitlines()):
        if text.startswith(f"{key}:"):
            return first + i + 2  # +1 for the opening ---, +1 for 1-based
    return first + 2


def _as_date(file, line, value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ContentError.at(
            file, line, f"invalid front matter: 'updated' must be a date (YYYY-MM-DD), got {value!r}"
        ) from None
