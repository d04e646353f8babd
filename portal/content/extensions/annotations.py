"""Code annotations (Material): markers ``(1)`` in a code block's comments point to the
items of the ordered list right after the block; ``# (1)!`` keeps the marker and drops
the comment around it.

Rendered without JavaScript: each marker is a numbered link to its note, the notes are
the list below the block, each with a link back to its marker."""

import re

_MARKER_RE = re.compile(r"\((\d+)\)(!?)")
# Pygments' comment classes: single-line, multi-line, hashbang, special, preprocessor file.
_COMMENT_RE = re.compile(r'<span class="(c|c1|ch|cm|cs|cpf|sd)">(.*?)</span>')
_ONLY_MARKER_RE = re.compile(r"^\s*(?:#|//|--|;|/\*|<!--|%|')?\s*\((\d+)\)!\s*(?:\*/|-->)?\s*$")


def _marker(prefix, n):
    return (f'<a class="code-annotation" id="{prefix}-ref-{n}" href="#{prefix}-{n}" '
            f'data-n="{n}" aria-label="Annotation {n}"></a>')


def annotator(prefix, count):
    """A function putting the markers of a block (``count`` notes) into a line of its HTML."""

    def in_comment(match):
        comment = match[2]
        only = _ONLY_MARKER_RE.match(comment)
        if only and 1 <= int(only[1]) <= count:
            return _marker(prefix, only[1])

        def replace(marker):
            n = int(marker[1])
            return _marker(prefix, n) if 1 <= n <= count else marker[0]

        return f'<span class="{match[1]}">{_MARKER_RE.sub(replace, comment)}</span>'

    def annotate(line):
        return _COMMENT_RE.sub(in_comment, line) if "(" in line else line

    return annotate


def find_annotations(state):
    """Pair each fence holding markers with the ordered list right after it."""
    tokens = state.tokens
    blocks = 0
    for i, token in enumerate(tokens[:-1]):
        if token.type != "fence" or tokens[i + 1].type != "ordered_list_open":
            continue
        if not _MARKER_RE.search(token.content):
            continue
        blocks += 1
        prefix = f"__code_{blocks}_annotation"
        items = 0
        depth = 0
        for follower in tokens[i + 1:]:
            depth += follower.nesting
            if follower.type == "list_item_open" and depth == 2:
                items += 1
                follower.attrSet("id", f"{prefix}-{items}")
            elif follower.type == "list_item_close" and depth == 1:
                follower.meta["back"] = (prefix, items)
            if depth == 0:
                break
        tokens[i + 1].attrSet("class", "code-annotations")
        tokens[i + 1].meta["annotations"] = prefix
        token.meta["annotations"] = (prefix, items)


def _item_close(self, tokens, idx, options, env):
    """A note ends with a link back to its marker."""
    back = tokens[idx].meta.get("back") if tokens[idx].meta else None
    if back:
        prefix, n = back
        back = f'<a class="code-annotation__back" href="#{prefix}-ref-{n}" aria-label="Back to marker {n}">↩</a>'
        return back + self.renderToken(tokens, idx, options, env)
    return self.renderToken(tokens, idx, options, env)


def annotations_plugin(md):
    md.core.ruler.push("code_annotations", find_annotations)
    md.add_render_rule("list_item_close", _item_close)
