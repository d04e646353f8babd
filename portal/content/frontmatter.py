"""Front matter: the YAML between ``---`` lines at the top of a page, read and checked."""

import datetime

import yaml

from .documents import ContentError

FRONT_MATTER_KEYS = {"title": str, "summary": str, "order": int, "tags": list, "updated": object}
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
    if "tags" in meta:
        meta["tags"] = [str(t) for t in meta["tags"]]
    return meta


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
