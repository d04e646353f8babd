"""Abbreviations (Python-Markdown's abbr): ``*[HTML]: Hyper Text Markup Language``
anywhere in the page (often from a snippet appended to every page) makes every ``HTML``
in its text an ``<abbr title="...">``. The definitions themselves are not shown."""

import re

from markdown_it.token import Token

_DEFINITION_RE = re.compile(r"^\*\[([^\]\n]+)\]:[ \t]*(.*)$")


def definition(state, start_line, end_line, silent):
    start = state.bMarks[start_line] + state.tShift[start_line]
    if state.src[start:start + 2] != "*[" or state.sCount[start_line] - state.blkIndent >= 4:
        return False
    match = _DEFINITION_RE.match(state.src[start:state.eMarks[start_line]])
    if not match:
        return False
    if silent:
        return True
    state.env.setdefault("abbreviations", {})[match[1].strip()] = match[2].strip()
    state.line = start_line + 1
    return True


def abbreviations(state):
    found = state.env.get("abbreviations")
    if not found:
        return
    words = sorted(found, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)")
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children = []
        inside_link = 0
        for child in block.children:
            if child.type in ("link_open", "link_close"):
                inside_link += child.nesting
            if child.type != "text" or inside_link or not pattern.search(child.content):
                children.append(child)
                continue
            pos = 0
            for match in pattern.finditer(child.content):
                if match.start() > pos:
                    children.append(_text(child.content[pos:match.start()], child))
                opening = Token("abbr_open", "abbr", 1)
                if found[match[1]]:
                    opening.attrSet("title", found[match[1]])
                children += [opening, _text(match[1], child), Token("abbr_close", "abbr", -1)]
                pos = match.end()
            if pos < len(child.content):
                children.append(_text(child.content[pos:], child))
        block.children = children


def _text(content, like):
    token = Token("text", "", 0)
    token.content, token.level = content, like.level
    return token


def abbr_plugin(md):
    md.block.ruler.before("reference", "abbr_definition", definition,
                          {"alt": ["paragraph", "reference"]})
    md.core.ruler.after("inline", "abbreviations", abbreviations)
