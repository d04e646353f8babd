"""Material for MkDocs' Markdown, as markdown-it-py plugins: one small module per syntax
(what mdit-py-plugins already has, such as footnotes and definition lists, comes from it).

A page's ``env`` carries what the rules need to know and to say: ``env["source"]`` (the
page's file), ``env["content"]`` (its content folder, for snippets) and
``env["warnings"]``, the located problems ``portal plugin check`` prints (``warn``)."""

from ..documents import Problem


def warn(state_or_env, line, message):
    """Record a located problem of the page being parsed (``line`` is 0-based, as
    markdown-it maps tokens); without a source (a bare ``md.render``) it is dropped."""
    env = getattr(state_or_env, "env", state_or_env)
    source = env.get("source") if isinstance(env, dict) else None
    if source is not None:
        env.setdefault("warnings", []).append(Problem(source, line + 1, message))
