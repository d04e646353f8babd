"""Code blocks as pymdownx.superfences and pymdownx.highlight write them:
```` ```python title="app.py" hl_lines="2 4-5" linenums="1" ```` (or the brace form
```` ``` { .python title="app.py" } ````), and inline code highlighting
(pymdownx.inlinehilite: `` `#!python range(3)` ``).

``file="path"`` (the content sections' worked-example convention: the block is a file of a
tested project) is shown as the block's title exactly like ``title=``; ``mode=`` and any
other attribute only a test harness reads are never shown. The fence's whole info string
stays on the token (and on ``CodeBlock.info``) for that harness.
"""

import html
import re

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True)
_ATTR_RE = re.compile(r"""([A-Za-z_][\w-]*)=(?:"([^"]*)"|'([^']*)'|(\S+))""")
_INLINE_RE = re.compile(r"^#!([\w+#.-]+)\s+(.+)$", re.S)


class Fence:
    """What a fence's info string asks for."""

    __slots__ = ("lang", "classes", "attrs")

    def __init__(self, info):
        info = info.strip()
        self.classes = []
        if info.startswith("{") and info.endswith("}"):  # { .python .annotate title="x" }
            body = info[1:-1]
            self.classes = [w[1:] for w in _ATTR_RE.sub(" ", body).split() if w.startswith(".")]
            self.lang = self.classes[0] if self.classes else ""
        else:
            first, _, rest = info.partition(" ")
            self.lang = "" if "=" in first else first
            body = rest if self.lang else info
        self.attrs = {m[1]: next(v for v in m.groups()[1:] if v is not None)
                      for m in _ATTR_RE.finditer(body)}

    @property
    def title(self):
        return self.attrs.get("title") or self.attrs.get("file")

    def highlighted_lines(self):
        lines = set()
        for part in self.attrs.get("hl_lines", "").split():
            start, _, end = part.partition("-")
            if start.isdigit() and (not end or end.isdigit()):
                lines.update(range(int(start), int(end or start) + 1))
        return lines

    def first_number(self):
        """The first line number shown, or None when lines are not numbered
        (``linenums="0"`` turns them off, as in pymdownx)."""
        start = self.attrs.get("linenums", "").split()[:1]
        if not start or not start[0].isdigit() or start[0] == "0":
            return None
        return int(start[0])


def fence_lang(info):
    return Fence(info).lang


def lexer_for(lang):
    try:
        return get_lexer_by_name(lang) if lang else None
    except ClassNotFound:
        return None


def _lines(code, lexer):
    """The code as lines of HTML, each with its spans closed (Pygments closes them at
    every line end)."""
    if lexer is None:
        return html.escape(code).split("\n")[:-1] if code.endswith("\n") else html.escape(code).split("\n")
    out = highlight(code, lexer, _FORMATTER)
    return out.split("\n")[:-1] if out.endswith("\n") else out.split("\n")


def render_code(code, fence, annotate=None):
    """The HTML of a block; ``annotate(line_html)`` puts annotation markers in a line."""
    lexer = lexer_for(fence.lang)
    lang = html.escape(fence.lang)
    marked = fence.highlighted_lines()
    first = fence.first_number()
    if lexer is not None and not marked and first is None and annotate is None:
        body = highlight(code, lexer, _FORMATTER)  # the common case, as cheap as it gets
    else:
        rows = []
        for n, text in enumerate(_lines(code, lexer), start=1):
            if annotate is not None:
                text = annotate(text)
            if not marked and first is None:
                rows.append(text + "\n")
                continue
            number = f' data-line="{first + n - 1}"' if first is not None else ""
            hll = " hll" if n in marked else ""
            # The line break stays outside the span: inside an inline-block it would not
            # break the block's line.
            rows.append(f'<span class="line{hll}"{number}>{text}</span>\n')
        body = "".join(rows)
    classes = ["highlight"] + (["linenums"] if first is not None else [])
    pre_attrs = f' class="{" ".join(classes)}"' if lexer is not None or len(classes) > 1 else ""
    if lang:
        pre_attrs += f' data-lang="{lang}"'
    code_class = f' class="language-{lang}"' if lang else ""
    block = f"<pre{pre_attrs}><code{code_class}>{body}</code></pre>\n"
    title = fence.title
    if title:
        return (f'<div class="code-titled"><div class="code-title">{html.escape(title)}</div>'
                f"{block}</div>\n")
    return block


def render_fence(self, tokens, idx, options, env):
    from .annotations import annotator

    token = tokens[idx]
    notes = token.meta.get("annotations")
    return render_code(token.content, Fence(token.info), annotator(*notes) if notes else None)


def render_code_inline(self, tokens, idx, options, env):
    token = tokens[idx]
    match = _INLINE_RE.match(token.content)
    lexer = lexer_for(match[1]) if match else None
    if lexer is None:
        return f"<code>{html.escape(token.content)}</code>"
    body = highlight(match[2], lexer, _FORMATTER).rstrip("\n")
    return f'<code class="highlight language-{html.escape(match[1])}">{body}</code>'


def code_plugin(md):
    md.add_render_rule("fence", render_fence)
    md.add_render_rule("code_inline", render_code_inline)
