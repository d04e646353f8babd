"""Snippets (pymdownx.snippets): ``--8<-- "path"`` on a line of its own is replaced by the
file's text, indented as the marker is, before the page is parsed; so are the paths
listed between two bare ``--8<--`` lines. ``path:3:8`` takes lines 3 to 8,
``path:name`` the lines between ``--8<-- [start:name]`` and ``--8<-- [end:name]``; a
marker escaped as ``;--8<--`` is kept as text.

A path is looked for in the plugin's own package (the top-level package holding the
content folder), then in the content folder, and never outside the package: a path that
leaves it, or names no file, is a located problem and the marker stays as text."""

import functools
import re
from pathlib import Path

from . import warn

_SINGLE_RE = re.compile(r'^(?P<indent>[ \t]*)(?P<escape>;*)--8<--[ \t]+(?P<quote>["\'])(?P<path>.+?)(?P=quote)[ \t]*$')
_BLOCK_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<escape>;*)--8<--[ \t]*$")
_SECTION_RE = re.compile(r"^\s*(?:#|//|<!--|/\*|--|;)?\s*;?--8<--\s*\[(start|end):([\w-]+)\]")
MAX_DEPTH = 4


@functools.lru_cache(maxsize=64)
def package_root(content):
    """The top-level package holding ``content`` (the folder itself if it is in none)."""
    folder = Path(content).resolve()
    root = folder
    for parent in [folder, *folder.parents]:
        if (parent / "__init__.py").is_file():
            root = parent
        elif parent != folder:
            break
    return root


def _resolve(path, content):
    """The file ``path`` names inside the plugin's package, or (None, why)."""
    root = package_root(content)
    for base in (root, Path(content).resolve()):
        candidate = (base / path).resolve()
        try:
            candidate.relative_to(root)
        except ValueError:
            return None, f"snippet {path!r} is outside the plugin's package {root.name}"
        if candidate.is_file():
            return candidate, None
    return None, f"snippet {path!r}: no such file in the plugin's package {root.name}"


def _select(text, spec):
    """The part of ``text`` that ``spec`` (``3:8``, ``3:``, ``:8``, ``name``) asks for."""
    lines = text.splitlines()
    if not spec:  # the whole file, less its section markers (as pymdownx does)
        return [line for line in lines if not _SECTION_RE.match(line)], None
    if re.fullmatch(r"\d*:\d*", spec) or spec.isdigit():
        start, _, end = spec.partition(":")
        start = max(int(start or 1), 1)
        end = int(end) if end else len(lines)
        return lines[start - 1:end], None
    inside, found, kept = False, False, []
    for line in lines:
        marker = _SECTION_RE.match(line)
        if marker:
            if marker[2] == spec:
                inside = marker[1] == "start"
                found = found or inside
            continue  # section markers never show
        if inside:
            kept.append(line)
    return kept, None if found else f"no section {spec!r}"


def split_spec(path):
    """``file.md:3:8`` -> (``file.md``, ``3:8``); ``file.md:name`` -> (``file.md``, ``name``)."""
    match = re.match(r"^(.*?\.[\w]+)(?::(.*))?$", path)
    if match:
        return match[1], match[2] or ""
    return path, ""


def expand(text, env, line_of=None, depth=0):
    """``text`` with every snippet marker replaced; problems go to ``env`` at the line of
    the page they come from."""
    content = env.get("content")
    if "--8<--" not in text or content is None:
        return text
    out = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        where = line_of if line_of is not None else i
        if "--8<--" not in line:
            out.append(line)
            i += 1
            continue
        single = _SINGLE_RE.match(line)
        block = _BLOCK_RE.match(line) if not single else None
        if block and not block["escape"]:
            paths, j = [], i + 1
            while j < len(lines) and not _BLOCK_RE.match(lines[j]):
                if lines[j].strip():
                    paths.append(lines[j].strip())
                j += 1
            if j < len(lines):
                for path in paths:
                    if not path.startswith(";"):
                        out.extend(_include(path, block["indent"], env, where, depth))
                i = j + 1
                continue
        if single and not single["escape"]:
            out.extend(_include(single["path"], single["indent"], env, where, depth))
        elif single or block:
            out.append(line.replace(";--8<--", "--8<--", 1))  # escaped: shown as written
        else:
            out.append(line)
        i += 1
    return "\n".join(out)


def _include(spec, indent, env, line, depth):
    if spec.startswith(("http://", "https://")):
        warn(env, line, f"snippet {spec!r}: remote snippets are not fetched")
        return [f"{indent}--8<-- \"{spec}\""]
    path, part = split_spec(spec)
    file, problem = _resolve(path, env["content"])
    if file is None:
        warn(env, line, problem)
        return [f"{indent}--8<-- \"{spec}\""]
    if depth >= MAX_DEPTH:
        warn(env, line, f"snippet {spec!r}: snippets nested more than {MAX_DEPTH} deep")
        return []
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        warn(env, line, f"snippet {spec!r} cannot be read: {exc}")
        return []
    kept, problem = _select(text, part)
    if problem:
        warn(env, line, f"snippet {spec!r}: {problem}")
    inner = expand("\n".join(kept), env, line_of=line, depth=depth + 1)
    return [indent + t if t else t for t in inner.split("\n")] if kept else []


def snippets_rule(state):
    state.src = expand(state.src, state.env)


def snippets_plugin(md):
    # Before the block parser: a snippet is text of the page, parsed as if written there.
    md.core.ruler.after("normalize", "snippets", snippets_rule)
