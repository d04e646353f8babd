"""Attribute lists (Python-Markdown's attr_list) on blocks: ``## Heading { #custom-id }``
at the end of a heading, ``{: .class }`` on the last line of a paragraph. Inline ones
(``![logo](logo.png){ width="120" }``, ``[Go](x.md){ .md-button }``) come from
mdit-py-plugins' attrs plugin."""

import re

from mdit_py_plugins.attrs import attrs_plugin

_TRAILING_RE = re.compile(r"\s*\{:?\s*((?:[#.][\w:-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+))(?:\s+(?:[#.][\w:-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+)))*)\s*\}\s*$")
_PART_RE = re.compile(r"""([#.])([\w:-]+)|([\w-]+)=(?:"([^"]*)"|'([^']*)'|([^\s}]+))""")


def parse(text):
    """``#id .a .b key="v"`` -> {"id": "id", "class": "a b", "key": "v"}; event handlers
    (``on...``) are dropped."""
    attrs, classes = {}, []
    for m in _PART_RE.finditer(text):
        if m[1] == "#":
            attrs["id"] = m[2]
        elif m[1] == ".":
            classes.append(m[2])
        elif not m[3].lower().startswith("on"):
            attrs[m[3]] = next(v for v in (m[4], m[5], m[6]) if v is not None)
    if classes:
        attrs["class"] = " ".join(classes)
    return attrs


def _apply(token, attrs):
    for key, value in attrs.items():
        if key == "class" and token.attrGet("class"):
            value = f"{token.attrGet('class')} {value}"
        token.attrSet(key, value)


def block_attributes(state):
    tokens = state.tokens
    for i, token in enumerate(tokens[:-1]):
        if token.type not in ("heading_open", "paragraph_open"):
            continue
        inline = tokens[i + 1]
        if inline.type != "inline" or "{" not in inline.content:
            continue
        content = inline.content
        if token.type == "paragraph_open":
            head, _, last = content.rpartition("\n")
            match = _TRAILING_RE.fullmatch(last)
            if not match:
                continue
            inline.content = head
        else:
            match = _TRAILING_RE.search(content)
            if not match:
                continue
            inline.content = content[:match.start()]
        _apply(token, parse(match[1]))
        if token.type == "paragraph_open" and not inline.content.strip():
            # A paragraph that was only the attribute list: nothing to show.
            token.hidden = tokens[i + 2].hidden = True


def attributes_plugin(md):
    # After the blocks, before inline parsing: the heading's text loses its {...} before
    # anchors are made from it, and an explicit id is kept by the anchors plugin.
    md.core.ruler.after("block", "block_attributes", block_attributes)
    attrs_plugin(md)
