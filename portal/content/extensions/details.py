"""Collapsible blocks (pymdownx.details): ``??? type "Title"`` is closed, ``???+`` open;
``<details>`` with a ``<summary>``, so they open and close without JavaScript. They carry
the admonition classes, so a type looks the same collapsible or not."""

from .admonitions import classes_and_title
from .blocks import body_end, marker_line, tokenize_body


def details(state, start_line, end_line, silent):
    found = marker_line(state, start_line, ("???+", "???"))
    if not found or not found[1]:
        return False
    if silent:
        return True
    marker, rest = found
    classes, title = classes_and_title(rest)
    end, indent = body_end(state, start_line, end_line)
    token = state.push("details_open", "details", 1)
    token.attrs = {"class": " ".join(["admonition", *classes])}
    if marker == "???+":
        token.attrs["open"] = ""
    token.markup, token.info, token.map, token.block = marker, rest, [start_line, end], True
    token = state.push("admonition_title_open", "summary", 1)
    token.attrs = {"class": "admonition-title"}
    token.map = [start_line, start_line + 1]
    token = state.push("inline", "", 0)
    token.content = title or classes[0].capitalize()  # a summary cannot be empty
    token.map = [start_line, start_line + 1]
    token.children = []
    state.push("admonition_title_close", "summary", -1)
    tokenize_body(state, "details", start_line + 1, end, indent)
    state.push("details_close", "details", -1).block = True
    return True


def details_plugin(md):
    md.block.ruler.before("fence", "details", details,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
