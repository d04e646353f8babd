"""Typed parameters: the one way a view reads a query, a form or a JSON body.

Whatever a client sends, a view gets either a value of the type it asked for or a
``BadParameter`` (a 400, JSON under ``/api/`` with ``fields`` naming each bad parameter):

- integers (ids, page numbers, cursors' parts) are ASCII digits only, bounded (by default
  to what a database ``BIGINT`` holds): ``"²"``, ``"١٢"`` and ``"1e3"`` are refused, and so is
  ``99999999999999999999``, which would overflow PostgreSQL;
- text is valid UTF-8 (the decoding tween, ``portal.http.decoding``, refuses the rest before
  any view runs) without NUL or lone surrogates, at most ``max_length`` characters; the
  other characters XML 1.0 forbids (C0 controls but tab and newlines, U+FFFE, U+FFFF) are
  dropped, so they never reach a stored comment or a feed;
- a form field is never a file: a field sent as an upload is refused by name;
- JSON is an object, UTF-8, at most ``MAX_JSON_DEPTH`` deep (no ``RecursionError``), whose
  numbers are JSON Schema's (``2.0`` is the integer 2, ``true`` is not 1).

Readers collect every problem and ``check()`` raises them together, so an API answer names
every bad field at once::

    query = query_params(request)
    thread = query.integer("thread")
    sort = query.choice("sort", ("oldest", "newest"), default="oldest")
    query.check()
"""

import json
import re

from pyramid.httpexceptions import HTTPBadRequest, HTTPRequestEntityTooLarge, HTTPUnsupportedMediaType

MAX_ID = 2**63 - 1  # a BIGINT on PostgreSQL, an INTEGER on SQLite
MAX_JSON_DEPTH = 32
_DIGITS = re.compile(r"[0-9]{1,19}")
# Characters XML 1.0 does not allow anywhere (NUL is refused instead: it is never typed).
XML_FORBIDDEN = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text):
    """``text`` without the characters XML 1.0 forbids (and without NUL)."""
    return XML_FORBIDDEN.sub("", text).replace("\x00", "")
_MISSING = object()


class BadParameter(HTTPBadRequest):
    """Parameters a view cannot use: ``fields`` maps each to what is wrong with it."""

    def __init__(self, fields, detail=None, **kw):
        self.fields = dict(fields)
        detail = detail or "; ".join(f"{name}: {problem}" for name, problem in self.fields.items())
        super().__init__(detail=detail, **kw)


class BadBodyType(HTTPUnsupportedMediaType):
    def __init__(self, fields, detail):
        self.fields = dict(fields)
        super().__init__(detail=detail)


class BodyTooLarge(HTTPRequestEntityTooLarge):
    def __init__(self, fields, detail):
        self.fields = dict(fields)
        super().__init__(detail=detail)


def text_problem(value):
    """Why ``value`` (a str) cannot be stored or shown, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (not valid Unicode text)"
    return None


def parse_integer(raw, minimum=1, maximum=MAX_ID):
    """``raw`` (text) as an int: ASCII digits within ``minimum``..``maximum``, else ValueError."""
    raw = raw.strip()
    if not _DIGITS.fullmatch(raw):
        raise ValueError(raw)
    value = int(raw)
    if not minimum <= value <= maximum:
        raise ValueError(raw)
    return value


def _range(minimum, maximum):
    if maximum == MAX_ID:
        return f"a whole number from {minimum}" if minimum else "a whole number"
    return f"a whole number from {minimum} to {maximum}"


class Params:
    """Typed reading of one set of parameters: a query string or form (``values`` a WebOb
    MultiDict of text) or a JSON object (``json=True``: values keep their JSON types)."""

    def __init__(self, values, *, json=False, where="query"):
        self.values = values
        self.json = json
        self.where = where
        self.errors = {}

    # -- the raw value -----------------------------------------------------------------

    def _raw(self, name):
        if self.json:
            return self.values.get(name, _MISSING)
        found = self.values.getall(name)
        if not found:
            return _MISSING
        value = found[-1]
        if not isinstance(value, str):
            self.errors[name] = "must be a text field, not a file"
            return None
        return value

    def __contains__(self, name):
        return name in self.values

    def fail(self, name, problem):
        self.errors.setdefault(name, problem)

    def check(self):
        """Raise every problem found so far (a 400 naming each parameter)."""
        if self.errors:
            raise BadParameter(self.errors)

    # -- types -------------------------------------------------------------------------

    def text(self, name, *, default=None, max_length=None, required=False, nullable=False,
             strip=False, empty_is_missing=False, drop_nul=False):
        raw = self._raw(name)
        if raw is _MISSING or (raw is None and nullable):
            if required:
                self.fail(name, "is required")
            return default
        if raw is None and name in self.errors:
            return default
        if not isinstance(raw, str):
            self.fail(name, "must be a string" + (" or null" if nullable else ""))
            return default
        if drop_nul:  # for free text whose reader ignores what is not a word (search)
            raw = raw.replace("\x00", "")
        problem = text_problem(raw)
        if problem:
            self.fail(name, problem)
            return default
        value = XML_FORBIDDEN.sub("", raw)
        value = value.strip() if strip else value
        if empty_is_missing and not value:
            if required:
                self.fail(name, "is required")
            return default
        if max_length is not None and len(value) > max_length:
            self.fail(name, f"is {len(value)} characters long; the limit is {max_length}")
            return default
        return value

    def integer(self, name, *, default=None, minimum=1, maximum=MAX_ID, required=False,
                nullable=False, message=None):
        raw = self._raw(name)
        if raw is _MISSING or (raw is None and (nullable or name in self.errors)):
            if required:
                self.fail(name, "is required")
            return default
        expected = message or f"must be {_range(minimum, maximum)}"
        if self.json:
            # JSON Schema's integer: 2.0 is 2; true and "2" are not numbers.
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)
            if isinstance(raw, bool) or not isinstance(raw, int) or not minimum <= raw <= maximum:
                self.fail(name, expected)
                return default
            return raw
        if raw.strip() == "" and not required:
            return default
        try:
            return parse_integer(raw, minimum, maximum)
        except ValueError:
            self.fail(name, expected)
            return default

    def integers(self, name, *, minimum=1, maximum=MAX_ID, limit=None, message=None):
        """Every value of a repeated form field (``id=1&id=2``) as integers."""
        values = []
        for raw in self.values.getall(name):
            if not isinstance(raw, str):
                self.fail(name, "must be a text field, not a file")
                return []
            try:
                values.append(parse_integer(raw, minimum, maximum))
            except ValueError:
                self.fail(name, message or f"must be {_range(minimum, maximum)}")
                return []
        if limit is not None and len(values) > limit:
            self.fail(name, f"at most {limit} at once")
            return []
        return values

    def choice(self, name, choices, *, default=None, required=False):
        raw = self.text(name, default=_MISSING, strip=True)
        if raw is _MISSING or raw == "":
            if required:
                self.fail(name, "is required")
            return default
        if raw not in choices:
            self.fail(name, f"must be one of {', '.join(choices)}")
            return default
        return raw

    def unknown(self, known):
        """Name every parameter not in ``known`` as unknown."""
        for name in self.values:
            if name not in known:
                self.fail(name, "unknown field" if self.json else "unknown parameter")


def query_params(request):
    """The query string, typed (``request.GET``; the decoding tween made sure it decodes)."""
    return Params(request.GET, where="query")


def form_params(request):
    """A form post's fields, typed (``request.POST``, urlencoded or multipart, UTF-8)."""
    return Params(request.POST, where="form")


def form_text(request, name):
    """A form field as the text to show back in a form, or "" if it is anything else: for
    pages that redisplay what was sent, never for deciding anything."""
    try:
        value = request.POST.get(name, "")
    except Exception:  # a body that does not parse: nothing to show back
        return ""
    if not isinstance(value, str) or text_problem(value):
        return ""
    return value


def json_depth_problem(text, limit=MAX_JSON_DEPTH):
    """Whether JSON ``text`` nests arrays and objects deeper than ``limit``: checked before
    parsing, so a thousand brackets cost a scan instead of a ``RecursionError``."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return f"nests arrays and objects more than {limit} deep"
        elif char in "]}":
            depth -= 1
    return None


def json_params(request, *, max_depth=MAX_JSON_DEPTH):
    """The request's JSON object, as ``Params``: 415 for another content type, 413 over the
    body limit, 400 for anything but a UTF-8 JSON object of bounded depth."""
    limit = request.registry.settings["portal.max_body_bytes"]
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge({"body": f"larger than {limit} bytes"}, "request body too large")
    if request.content_type != "application/json":
        raise BadBodyType({"Content-Type": "must be application/json"}, "the body must be JSON")
    charset = request.headers.get("Content-Type", "").partition("charset=")[2].strip(' "').lower()
    if charset and charset not in ("utf-8", "utf8"):
        raise BadBodyType({"Content-Type": "JSON is sent as UTF-8"}, "the body must be UTF-8 JSON")
    raw = request.body_file.read(limit + 1)
    if len(raw) > limit:
        raise BodyTooLarge({"body": f"larger than {limit} bytes"}, "request body too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadParameter({"body": f"invalid UTF-8 at byte {exc.start}"},
                           "the body is not valid UTF-8") from None
    problem = json_depth_problem(text, max_depth)
    if problem:
        raise BadParameter({"body": problem}, "the body is not valid JSON")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadParameter({"body": str(exc)}, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadParameter({"body": "must be an object"}, "the body must be a JSON object")
    bad_names = [name for name in data if text_problem(name)]
    if bad_names:
        raise BadParameter({"body": "a field name is not valid text"}, "invalid input")
    return Params(data, json=True, where="body")
