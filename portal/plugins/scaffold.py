"""``portal plugin new``: a complete plugin package from the templates in
``portal/plugins/scaffolds/plugin/`` (``string.Template`` files; ``__package__`` in a path
is the plugin's module). A ``pyproject.toml`` distribution: built and installed as it
comes, the plugin is served by the portal, its own tests pass (alone or beside other
plugins), and its CI workflow tests, builds and checks it; docs/plugins.md walks
through it."""

import string
from pathlib import Path

from ..content import SEGMENT_RE
from .loader import PLUGIN_API_VERSION, PLUGIN_CONTRACT, RESERVED_NAMES

TEMPLATES = Path(__file__).with_name("scaffolds") / "plugin"
# Files whose name cannot be their template's: a leading dot would hide them from packaging.
RENAMED = {"gitignore": ".gitignore", "github": ".github"}


class ScaffoldError(ValueError):
    """The plugin cannot be created as asked; the message says why and what to do."""


def names_for(name, title=None):
    """The names a plugin called ``name`` goes by (its section, module, distribution)."""
    if not SEGMENT_RE.match(name or ""):
        raise ScaffoldError(
            f"{name!r} cannot be a section name: use lowercase letters, digits and inner "
            "hyphens, e.g. 'acme' or 'acme-queues'"
        )
    if name in RESERVED_NAMES:
        raise ScaffoldError(f"{name!r} is reserved by the portal; choose another name")
    from .checks import core_requirement

    requirement = core_requirement()
    title = title or name.replace("-", " ").title()
    return {
        "name": name,
        "module": "portal_" + name.replace("-", "_"),
        "dist": "portal-" + name,
        "title": title,
        "initial": title[:1].upper(),
        "api": str(PLUGIN_API_VERSION),
        "contract": PLUGIN_CONTRACT,
        "core_requirement": requirement,
        "core_requirement_testkit": requirement.replace("backend-portal", "backend-portal[testkit]", 1),
    }


def create_plugin(name, parent, title=None):
    """Write the plugin package ``portal-<name>`` into the folder ``parent``; return its
    folder. Refuses to write into a folder that exists and is not empty."""
    values = names_for(name, title)
    target = Path(parent) / values["dist"]
    if target.exists() and any(target.iterdir()):
        raise ScaffoldError(f"{target} already exists and is not empty; choose another --dir")
    written = []
    for template in sorted(TEMPLATES.rglob("*.tmpl")):
        rel = template.relative_to(TEMPLATES).with_suffix("")  # drop .tmpl
        parts = [values["module"] if part == "__package__" else RENAMED.get(part, part)
                 for part in rel.parts]
        path = target.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = string.Template(template.read_text(encoding="utf-8")).substitute(values)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return target, written
