"""pymdownx.mark, caret and tilde: ``==mark==``, ``^^inserted^^``, ``~~deleted~~``, and
``^super^`` and ``~sub~`` (mdit-py-plugins' superscript and subscript).

The two-character markers use markdown-it's delimiter runs, as its own ``~~`` does, so
they nest with emphasis the way CommonMark emphasis does."""

from markdown_it.rules_inline.state_inline import Delimiter
from mdit_py_plugins.subscript import sub_plugin
from mdit_py_plugins.superscript import superscript_plugin

DOUBLE = {"=": ("mark", "mark"), "^": ("ins", "ins")}


def _tokenize(char):
    def tokenize(state, silent):
        if silent or state.src[state.pos] != char:
            return False
        scanned = state.scanDelims(state.pos, True)
        length = scanned.length
        if length < 2:
            return False
        if length % 2:
            state.push("text", "", 0).content = char
            length -= 1
        for _ in range(length // 2):
            state.push("text", "", 0).content = char * 2
            state.delimiters.append(Delimiter(
                marker=ord(char), length=0, token=len(state.tokens) - 1, end=-1,
                open=scanned.can_open, close=scanned.can_close))
        state.pos += scanned.length
        return True

    return tokenize


def _pair(char, name, tag):
    def pair(state, delimiters):
        for start in delimiters:
            if start.marker != ord(char) or start.end == -1:
                continue
            end = delimiters[start.end]
            for index, nesting, suffix in ((start.token, 1, "_open"), (end.token, -1, "_close")):
                token = state.tokens[index]
                token.type, token.tag, token.nesting = name + suffix, tag, nesting
                token.markup, token.content = char * 2, ""

    def post_process(state):
        pair(state, state.delimiters)
        for meta in state.tokens_meta:
            if meta and "delimiters" in meta:
                pair(state, meta["delimiters"])

    return post_process


def marks_plugin(md):
    for char, (name, tag) in DOUBLE.items():
        md.inline.ruler.before("emphasis", name, _tokenize(char))
        md.inline.ruler2.before("emphasis", name, _pair(char, name, tag))
    md.use(superscript_plugin)  # ^x^ after ^^x^^: the longer marker wins
    md.use(sub_plugin)
    # pymdownx.tilde writes <del> for ~~x~~ (markdown-it writes <s>).
    md.add_render_rule("s_open", lambda self, tokens, idx, options, env: "<del>")
    md.add_render_rule("s_close", lambda self, tokens, idx, options, env: "</del>")
