"""Emoji and icon shortcodes (pymdownx.emoji as Material sets it up).

``:smile:`` becomes the emoji itself, as text (names from the ``emoji`` package: Unicode's
and GitHub's aliases). ``:material-check:``, ``:octicons-...:``, ``:fontawesome-...:`` and
``:simple-...:`` become the SVG shipped in ``portal/static/icons/<set>/<name>.svg``,
inlined as Material does, never fetched from a CDN. A shortcode with neither stays as
written (a located problem: see degraded.py)."""

import functools
import html
import re
from pathlib import Path

ICONS = Path(__file__).parents[2] / "static" / "icons"
ICON_SETS = ("material", "octicons", "fontawesome", "simple")
_SHORTCODE_RE = re.compile(r":([a-z0-9_+-]+):")


@functools.cache
def emoji_names():
    """shortcode -> emoji, built once, on the first page that has a shortcode."""
    import emoji

    names = {}
    for char, data in emoji.EMOJI_DATA.items():
        for name in (data.get("en"), *data.get("alias", ())):
            if name:
                names.setdefault(name.strip(":"), char)
    return names


@functools.cache
def icon_svg(name):
    """The inline SVG of ``material-check`` (set ``material``, icon ``check``) or None."""
    kind, _, icon = name.partition("-")
    if kind not in ICON_SETS or not icon:
        return None
    path = ICONS / kind / f"{icon}.svg"
    if not path.is_file():
        return None
    svg = path.read_text(encoding="utf-8").strip()
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


def emoji_rule(state, silent):
    if state.src[state.pos] != ":" or (state.pos and state.src[state.pos - 1].isalnum()):
        return False
    match = _SHORTCODE_RE.match(state.src, state.pos)
    if not match:
        return False
    name = match[1]
    if name.split("-", 1)[0] in ICON_SETS and "-" in name:
        found = icon_svg(name)
        kind = "icon"
    else:
        found = emoji_names().get(name)
        kind = "emoji"
    if found is None:
        return False  # stays text; the unknown-syntax scan reports it (degraded.py)
    if not silent:
        token = state.push(kind, "span", 0)
        token.content, token.meta = name, {"value": found}
    state.pos = match.end()
    return True


def render_emoji(self, tokens, idx, options, env):
    token = tokens[idx]
    return f'<span class="emoji" title=":{html.escape(token.content)}:">{token.meta["value"]}</span>'


def render_icon(self, tokens, idx, options, env):
    token = tokens[idx]
    return f'<span class="icon icon--{html.escape(token.content)}">{token.meta["value"]}</span>'


def emoji_plugin(md):
    md.inline.ruler.push("emoji", emoji_rule)
    md.add_render_rule("emoji", render_emoji)
    md.add_render_rule("icon", render_icon)
