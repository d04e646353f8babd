"""Python-Markdown's indented containers, the shape shared by admonitions, details and
content tabs: a marker line, then a body indented four spaces further that ends at the
first non-blank line indented less (blank lines inside the body are part of it)."""

import re

from mdit_py_plugins.utils import is_code_block

TAB_LENGTH = 4
_QUOTED_RE = re.compile(r'^(?P<words>[^"]*?)\s*(?:"(?P<title>.*)")?\s*$')


def marker_line(state, line, markers):
    """``(marker, rest of the line)`` if ``line`` starts with one of ``markers`` (longest
    first), else None; a line indented as code is never a marker."""
    start = state.bMarks[line] + state.tShift[line]
    # Every line of every page comes here once per container rule: refuse cheaply.
    if state.src[start:start + 1] != markers[0][0] or is_code_block(state, line):
        return None
    text = state.src[start:state.eMarks[line]]
    for marker in markers:
        if text.startswith(marker) and (len(text) == len(marker) or text[len(marker)] in " \t"):
            return marker, text[len(marker):].strip()
    return None


def body_end(state, line, end_line):
    """The first line after the body of the container whose marker is on ``line``, and
    the body's indent."""
    indent = state.sCount[line] + TAB_LENGTH
    after = line + 1
    following = line + 1
    while following < end_line:
        if state.isEmpty(following):
            following += 1
            continue
        if state.sCount[following] < indent:
            break
        following += 1
        after = following
    return after, indent


def tokenize_body(state, name, start, end, indent):
    """Parse lines ``start`` to ``end`` as the blocks of a container indented ``indent``."""
    saved = state.parentType, state.lineMax, state.blkIndent
    state.parentType, state.lineMax, state.blkIndent = name, end, indent
    state.md.block.tokenize(state, start, end)
    state.parentType, state.lineMax, state.blkIndent = saved
    state.line = end


def words_and_title(rest):
    """``note inline "A title"`` -> (["note", "inline"], "A title"); the title is None
    when no quoted title is given, "" when it is given empty (``""``)."""
    match = _QUOTED_RE.match(rest)
    if not match:
        return rest.split(), None
    return match["words"].split(), match["title"]
