"""Admonitions (``!!! type "Title"``) as Python-Markdown writes them and Material styles
them: ``<div class="admonition TYPE">`` with a ``<p class="admonition-title">``.

Material's aliases (``hint``, ``caution``, ``faq``...) also get the class of the type they
stand for, so one rule per type styles them; an unknown type keeps its own class and the
note's look, as in Material."""

from .blocks import body_end, marker_line, tokenize_body, words_and_title

# Material's types and the aliases it styles like them.
TYPES = {
    "note": (), "abstract": ("summary", "tldr"), "info": ("todo",),
    "tip": ("hint", "important"), "success": ("check", "done"),
    "question": ("help", "faq"), "warning": ("caution", "attention"),
    "failure": ("fail", "missing"), "danger": ("error",), "bug": (), "example": (),
    "quote": ("cite",),
}
CANONICAL = {alias: kind for kind, aliases in TYPES.items() for alias in (kind, *aliases)}


def classes_and_title(rest):
    """``tip inline end "Read this"`` -> (classes, title or None for no title)."""
    words, title = words_and_title(rest)
    kind = words[0].lower()
    canonical = CANONICAL.get(kind)
    classes = [canonical] if canonical else []
    classes += [w.lower() for w in words if w.lower() not in classes]
    if title is None:
        title = kind.capitalize()
    return classes, title or None


def push_title(state, line, tag, title):
    token = state.push("admonition_title_open", tag, 1)
    token.attrs = {"class": "admonition-title"}
    token.map = [line, line + 1]
    token = state.push("inline", "", 0)
    token.content = title
    token.map = [line, line + 1]
    token.children = []
    state.push("admonition_title_close", tag, -1)


def admonition(state, start_line, end_line, silent):
    found = marker_line(state, start_line, ("!!!",))
    if not found or not found[1]:
        return False
    if silent:
        return True
    classes, title = classes_and_title(found[1])
    end, indent = body_end(state, start_line, end_line)
    token = state.push("admonition_open", "div", 1)
    token.attrs = {"class": " ".join(["admonition", *classes])}
    token.markup, token.info, token.map, token.block = "!!!", found[1], [start_line, end], True
    if title:
        push_title(state, start_line, "p", title)
    tokenize_body(state, "admonition", start_line + 1, end, indent)
    state.push("admonition_close", "div", -1).block = True
    return True


def admonition_plugin(md):
    md.block.ruler.before("fence", "admonition", admonition,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
