"""Content tabs (pymdownx.tabbed, Material's alternate style): adjacent ``=== "Label"``
blocks form one set, ``===!`` starts a new set, ``===+`` is the tab shown first.

The set works without JavaScript, as Material's does: one radio input per tab (keyboard:
Tab reaches the set, the arrow keys change tabs), labels that select them, and the
stylesheet shows the block of the checked input."""

import html

from .blocks import body_end, marker_line, tokenize_body, words_and_title

MARKERS = ("===!", "===+", "===")


def _tab(state, line, end_line, first):
    """``(selected, label, end, indent)`` of the tab on ``line``, or None."""
    found = marker_line(state, line, MARKERS)
    if not found:
        return None
    marker, rest = found
    if marker == "===!" and not first:
        return None  # starts a set of its own
    words, label = words_and_title(rest)
    if label is None or words:
        return None  # the label must be quoted, as pymdownx requires
    end, indent = body_end(state, line, end_line)
    return marker == "===+", label, line, end, indent


def tabbed(state, start_line, end_line, silent):
    first = _tab(state, start_line, end_line, True)
    if first is None:
        return False
    if silent:
        return True
    tabs = [first]
    line = first[3]
    while True:  # the tabs that follow, blank lines apart, at the same indent
        following = line
        while following < end_line and state.isEmpty(following):
            following += 1
        if following >= end_line or state.sCount[following] != state.sCount[start_line]:
            break
        tab = _tab(state, following, end_line, False)
        if tab is None:
            break
        tabs.append(tab)
        line = tab[3]
    number = state.env["tabbed_sets"] = state.env.get("tabbed_sets", 0) + 1
    checked = next((i for i, tab in enumerate(tabs) if tab[0]), 0)
    token = state.push("tabbed_set_open", "div", 1)
    token.attrs = {"class": "tabbed-set tabbed-alternate", "data-tabs": f"{number}:{len(tabs)}"}
    token.meta = {"set": number, "count": len(tabs), "checked": checked}
    token.map, token.block = [start_line, line], True
    for i, (_, label, tab_line, _, _) in enumerate(tabs):
        token = state.push("tabbed_label_open", "label", 1)
        token.attrs = {"for": f"__tabbed_{number}_{i + 1}"}
        token = state.push("inline", "", 0)
        token.content, token.map, token.children = label, [tab_line, tab_line + 1], []
        state.push("tabbed_label_close", "label", -1)
    state.push("tabbed_content_open", "div", 1).attrs = {"class": "tabbed-content"}
    for _, _, tab_line, end, indent in tabs:
        token = state.push("tabbed_block_open", "div", 1)
        token.attrs, token.map, token.block = {"class": "tabbed-block"}, [tab_line, end], True
        tokenize_body(state, "tabbed", tab_line + 1, end, indent)
        state.push("tabbed_block_close", "div", -1).block = True
    state.push("tabbed_content_close", "div", -1).block = True
    state.push("tabbed_set_close", "div", -1).block = True
    state.line = line
    return True


def _set_open(self, tokens, idx, options, env):
    """The set, its radio inputs (before the labels: the stylesheet's ``~`` needs them
    there) and the opening of the row of labels."""
    meta = tokens[idx].meta
    number = meta["set"]
    inputs = "".join(
        f'<input{" checked" if i == meta["checked"] else ""} id="__tabbed_{number}_{i + 1}" '
        f'name="__tabbed_{number}" type="radio">'
        for i in range(meta["count"])
    )
    attrs = tokens[idx].attrs
    return (f'<div class="{attrs["class"]}" data-tabs="{html.escape(attrs["data-tabs"])}">{inputs}'
            '<div class="tabbed-labels">')


def _labels_done(self, tokens, idx, options, env):
    return "</div>\n" + self.renderToken(tokens, idx, options, env)


def tabs_plugin(md):
    md.block.ruler.before("fence", "tabbed", tabbed,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.add_render_rule("tabbed_set_open", _set_open)
    md.add_render_rule("tabbed_content_open", _labels_done)
