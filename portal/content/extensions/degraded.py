"""What MkDocs projects write that the portal does not render: each is left as readable
text (or shown as its source) and reported as a located problem, so ``portal plugin
check`` names every place a page does not look as its author meant.

One pass over the parsed blocks' text, after everything else has taken what it knows."""

import re

from . import warn

_EMOJI_RE = re.compile(r"(?<![\w:]):([a-z][a-z0-9_+]*(?:-[a-z0-9_+]+)*):(?![\w:])")
# (what a block's text starts with or holds, why it is not rendered)
_BLOCK_STARTS = (
    (re.compile(r"^:::\s*[\w.]+"), "mkdocstrings' '::: {}' is not supported: shown as text"),
    (re.compile(r"^///\s*\w*"), "pymdownx.blocks ('///') are not supported: shown as text"),
    (re.compile(r"^\[TOC\]\s*$"), "'[TOC]' is not supported: the page's contents are shown beside it"),
)
_INLINE = (
    (re.compile(r"\{\{.*?\}\}|\{%.*?%\}"), "template syntax {} (mkdocs-macros) is not supported: shown as text"),
    (re.compile(r"\$\$|(?<![\w$])\$(?=\S)[^$\n]+(?<=\S)\$(?![\w$])"), "math {} (arithmatex) is not supported: shown as text"),
)
# Read from the block's source (less its code spans): ~~ and == inside it are parsed first.
_CRITIC_RE = re.compile(r"\{(\+\+|--|~~|==|>>).*?(\+\+|--|~~|==|<<)\}")
_CODE_SPAN_RE = re.compile(r"(`+).*?\1", re.S)
_DIAGRAMS = {"mermaid", "plantuml", "dot", "graphviz", "flowchart", "math"}


def _line(token):
    return token.map[0] if token.map else 0


def scan(state):
    if "source" not in state.env:
        return  # a bare md.render(): nobody to tell
    for token in state.tokens:
        if token.type == "fence":
            lang = token.info.strip().lstrip("{ .").split(" ")[0].rstrip("}")
            if lang in _DIAGRAMS:
                warn(state, _line(token), f"'{lang}' blocks are not drawn: shown as their source")
            continue
        if token.type != "inline":
            continue
        text = token.content
        # Most blocks hold none of the tell-tale characters: each check is skipped unless
        # its character is there (this runs over every block of every page at start-up).
        if text[:1] in ":/[":
            for pattern, message in _BLOCK_STARTS:
                match = pattern.match(text)
                if match:
                    warn(state, _line(token), message.format(match[0][3:].strip()))
        braces, dollars, colons = "{" in text, "$" in text, ":" in text
        if not (braces or dollars or colons):
            continue
        joined = "".join(c.content for c in token.children or () if c.type == "text")
        for (pattern, message), needed in zip(_INLINE, (braces, dollars), strict=True):
            match = needed and pattern.search(joined)
            if match:
                warn(state, _line(token), message.format(repr(match[0][:40])))
        if braces:
            critic = _CRITIC_RE.search(_CODE_SPAN_RE.sub("", text))
            if critic:
                warn(state, _line(token), f"critic markup {critic[0][:40]!r} is not supported: shown as text")
        if colons:
            for match in _EMOJI_RE.finditer(joined):
                warn(state, _line(token), f"unknown emoji or icon :{match[1]}: shown as text"
                     + (" (portal/static/icons has the icons available)" if "-" in match[1] else ""))


def degraded_plugin(md):
    md.core.ruler.push("degraded", scan)
