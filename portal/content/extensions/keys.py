"""Keys (pymdownx.keys): ``++ctrl+alt+del++`` -> ``<kbd>`` per key, with pymdownx's class
``key-NAME`` and display name; ``++ctrl+"My key"++`` shows a quoted key as written."""

import html
import re

# pymdownx's key names (and common aliases) -> what is shown.
KEYS = {
    "alt": "Alt", "alt-graph": "AltGr", "backspace": "Backspace", "break": "Break",
    "caps-lock": "Caps Lock", "cmd": "Cmd", "command": "Cmd", "context-menu": "Menu",
    "control": "Ctrl", "ctrl": "Ctrl", "delete": "Del", "del": "Del", "down": "Down",
    "arrow-down": "Down", "end": "End", "enter": "Enter", "return": "Enter", "escape": "Esc",
    "esc": "Esc", "fn": "Fn", "home": "Home", "insert": "Ins", "ins": "Ins", "left": "Left",
    "arrow-left": "Left", "meta": "Meta", "num-lock": "Num Lock", "option": "Option",
    "opt": "Option", "page-down": "Page Down", "pgdn": "Page Down", "page-up": "Page Up",
    "pgup": "Page Up", "pause": "Pause", "print-screen": "Print Screen", "right": "Right",
    "arrow-right": "Right", "scroll-lock": "Scroll Lock", "shift": "Shift", "space": "Space",
    "spacebar": "Space", "super": "Super", "tab": "Tab", "up": "Up", "arrow-up": "Up",
    "windows": "Win", "win": "Win", "plus": "+", "minus": "-",
    **{f"f{n}": f"F{n}" for n in range(1, 25)},
}
CANONICAL = {"control": "ctrl", "command": "cmd", "del": "delete", "esc": "escape",
             "return": "enter", "ins": "insert", "opt": "option", "pgdn": "page-down",
             "pgup": "page-up", "spacebar": "space", "win": "windows"}
_KEYS_RE = re.compile(r'\+\+((?:"[^"\n]+"|[\w-]+)(?:\+(?:"[^"\n]+"|[\w-]+))*)\+\+')
_PART_RE = re.compile(r'"[^"\n]+"|[\w-]+')


def keys_rule(state, silent):
    if not state.src.startswith("++", state.pos) or state.src[state.pos - 1:state.pos] == "{":
        return False  # {++text++} is critic markup, not keys
    match = _KEYS_RE.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("keys", "span", 0)
        token.content = match[1]
        token.markup = "++"
    state.pos = match.end()
    return True


def render_keys(self, tokens, idx, options, env):
    parts = []
    for key in _PART_RE.findall(tokens[idx].content):
        if key.startswith('"'):
            parts.append(f"<kbd>{html.escape(key[1:-1])}</kbd>")
            continue
        name = key.lower()
        shown = KEYS.get(name, key.replace("-", " ").title() if len(key) > 1 else key.upper())
        css = CANONICAL.get(name, name)
        parts.append(f'<kbd class="key-{html.escape(css)}">{html.escape(shown)}</kbd>')
    return '<span class="keys">' + "<span>+</span>".join(parts) + "</span>"


def keys_plugin(md):
    md.inline.ruler.before("emphasis", "keys", keys_rule)
    md.add_render_rule("keys", render_keys)
