"""Plugin settings, part of the contract since 1.1: ``config.add_portal_setting``.

A plugin declares each setting it reads, with its type and default::

    config.add_portal_setting("acme.api_url", str, default="https://api.acme.example")
    config.add_portal_setting("acme.api_key", str, secret=True)          # required
    config.add_portal_setting("acme.timeout", float, default=2.5)

The value comes from the code's default, then the site's ``.ini`` (``acme.api_url = ...``),
then the environment, named the way the core's settings are (``PORTAL_ACME_API_URL``). It is
parsed at once, inside the plugin's ``includeme``: a value that does not parse, or a
required setting with no value, fails the plugin with a message naming the plugin, the
setting, the value and where it came from. The typed value is then in
``config.get_settings()`` and ``request.registry.settings`` under its name.

Names live under the plugin's name (``acme.``); keys under that prefix the plugin does not
declare (a typo such as ``acme.api_ulr``) are reported on ``/-/plugins`` and by
``portal plugin check``. ``/-/plugins`` lists every declared setting with where its value
came from; values are shown to moderators only, and a secret's value to no one.
"""

import difflib
import re
from dataclasses import dataclass

from pyramid.exceptions import ConfigurationError

from ..ops.settings import DEFAULTS, env_name

SETTING = "portal setting"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_]+)+$")
REQUIRED = object()
TRUE = {"true", "yes", "on", "1"}
FALSE = {"false", "no", "off", "0"}
CORE_VARIABLES = frozenset(env_name(name) for name in DEFAULTS) | {"DATABASE_URL"}
# Settings the portal's own libraries read (Pyramid, pyramid_tm, pyramid_retry, Jinja2,
# SQLAlchemy, the debug toolbar): never a plugin's, even one named "pyramid" or "sqlalchemy".
STACK_PREFIXES = ("portal.", "pyramid.", "sqlalchemy.", "retry.", "tm.", "jinja2.", "debugtoolbar.")


def setting_variable(name):
    """The environment variable of plugin setting ``name``: ``acme.api_url`` ->
    ``PORTAL_ACME_API_URL`` (the core's are ``PORTAL_`` + their name too)."""
    return "PORTAL_" + re.sub(r"[.-]", "_", name).upper()


def _boolean(text):
    word = text.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError("expected true or false")


def _list(text):
    return [word for line in text.splitlines() for word in line.split()]


# type -> (parser of the text of an .ini file or the environment, its name in messages)
PARSERS = {
    str: (str, "text"),
    int: (lambda text: int(text.strip()), "an integer"),
    float: (lambda text: float(text.strip()), "a number"),
    bool: (_boolean, "true or false"),
    list: (_list, "a list of words"),
}


@dataclass
class PluginSetting:
    """One declared setting and the value the portal gave it."""

    name: str
    type_name: str
    value: object
    default: object
    source: str  # "default", "settings" (the .ini or the app's settings), "environment"
    variable: str
    secret: bool = False
    description: str = ""

    def as_json(self, full):
        shown = "(secret)" if self.secret else self.value
        entry = {"name": self.name, "type": self.type_name, "source": self.source,
                 "environment": self.variable, "secret": self.secret,
                 "description": self.description}
        if full:
            entry["value"] = shown if self.value is not None or self.secret else None
            entry["default"] = None if self.secret or self.default is REQUIRED else self.default
        return entry


def _parse(kind, raw):
    """``raw`` as ``kind``: text is parsed, a value of the right type is kept (tests and
    the test kit pass typed values)."""
    parse, _ = PARSERS.get(kind, (kind, getattr(kind, "__name__", "value")))
    if kind in PARSERS and isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
        return raw
    if kind in (list,) and isinstance(raw, (tuple, list)):
        return list(raw)
    return parse(raw if isinstance(raw, str) else str(raw))


def add_portal_setting(config, name, type=str, *, default=REQUIRED, secret=False, description=""):
    """Declare plugin setting ``name`` of ``type`` (``str``, ``int``, ``float``, ``bool``,
    ``list`` or a function parsing text); see the module's documentation."""
    from .loader import plugin_of

    rec = plugin_of(config)
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ConfigurationError(
            f"setting name {name!r} is not valid: use the plugin's name, a dot and lowercase "
            "words, such as 'acme.api_url'")
    if rec is not None and not name.startswith(rec.name + "."):
        raise ConfigurationError(
            f"setting {name!r}: a plugin's settings are named under its own name, "
            f"such as '{rec.name}.{name.rsplit('.', 1)[-1]}'")
    if name.startswith(STACK_PREFIXES) or name in DEFAULTS or setting_variable(name) in CORE_VARIABLES:
        raise ConfigurationError(
            f"setting {name!r} would share a name with a setting of the portal or its libraries "
            f"({', '.join(p + '*' for p in STACK_PREFIXES)}); a plugin named after one of those "
            "prefixes cannot declare settings")
    if not callable(type):
        raise ConfigurationError(f"setting {name!r}: type must be str, int, float, bool, list "
                                 f"or a function parsing text, got {type!r}")
    type_name = PARSERS[type][1] if type in PARSERS else getattr(type, "__name__", "value")
    variable = setting_variable(name)
    settings = config.get_settings()
    environ = getattr(config.registry, "portal_environ", None) or {}
    if environ.get(variable):
        raw, source, where = environ[variable], "environment", f"the environment ({variable})"
    elif settings.get(name) is not None:
        raw, source, where = settings[name], "settings", "the site's settings"
    elif default is not REQUIRED:
        raw, source, where = default, "default", "its default"
    else:
        raise ConfigurationError(
            f"setting {name} is required and has no value: set {name} in the site's .ini "
            f"or {variable} in the environment")
    try:
        value = _parse(type, raw) if raw is not None else None
    except (ValueError, TypeError) as exc:
        shown = "(secret)" if secret else repr(raw)
        detail = f" ({exc})" if str(exc) and not secret else ""
        raise ConfigurationError(
            f"setting {name} = {shown} from {where} is not {type_name}{detail}") from None
    declared = PluginSetting(name=name, type_name=type_name, value=value, default=default,
                             source=source, variable=variable, secret=bool(secret),
                             description=description)
    settings[name] = value  # read at once by the rest of includeme, and later by requests
    if rec is not None:
        rec.settings.append(declared)
    intr = config.introspectable(SETTING + "s", name, name, SETTING)
    intr["plugin"] = rec.name if rec is not None else None
    intr["type"] = type_name
    intr["secret"] = bool(secret)
    config.action((SETTING, name), introspectables=(intr,))


def unknown_settings(rec, settings, environ):
    """``(key, where, hint)`` for every key under the plugin's name that it does not
    declare: in the site's settings, or as a ``PORTAL_<PLUGIN>_`` environment variable."""
    declared = {s.name for s in rec.settings}
    variables = {s.variable for s in rec.settings}
    prefix = rec.name + "."
    found = []
    for key in sorted(k for k in settings if k.startswith(prefix) and k not in declared
                      and not k.startswith(STACK_PREFIXES) and k not in DEFAULTS):
        found.append((key, "settings", _hint(key, declared)))
    var_prefix = setting_variable(rec.name + ".x")[:-1]
    for var in sorted(v for v in environ if v.startswith(var_prefix)):
        if var not in variables and var not in CORE_VARIABLES:
            found.append((var, "environment", _hint(var, variables)))
    return found


def _hint(key, known):
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.7)
    return f"did you mean {close[0]}?" if close else (
        f"it declares {', '.join(sorted(known))}" if known else "it declares no settings")


def describe_unknown(rec, key, where, hint):
    place = "the site's settings" if where == "settings" else "the environment"
    return f"{key} in {place} is not a setting of {rec.label} ({hint})"
