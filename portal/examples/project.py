"""A worked example read from its page: the ``example:`` front matter and the code blocks
fenced with ``file="path"``, and the project folder those blocks are written into.

````markdown
```python file="catalog/serializers.py"          the whole file (a later block replaces it)
```python file="config/settings.py" mode="append"  added to the end of the file
````

Everything a page can get wrong is reported as a ``Problem`` naming the page's file and
line, all of a page's problems at once.
"""

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..content import Problem

DEFAULT_RUN = "python -m pytest -q"
SERVICES = ("postgresql", "redis")
EXAMPLE_KEYS = ("setup", "run", "services")
MODES = ("replace", "append")

# One word of a fence's info string: key="value", key='value', key=value, or a bare word
# (the language, ``runnable``). Anything else (an unclosed quote, ``file=``) is malformed.
_WORD = re.compile(
    r"""(?P<key>[A-Za-z_][\w-]*)=(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'=]+))(?=\s|$)"""
    r"""|(?P<word>[^\s"'=]+)(?=\s|$)"""
)


class ExampleError(Exception):
    """A worked example that cannot be assembled or run; ``problems`` are located
    (``file:line: message``), so an author sees every one of them at once."""

    def __init__(self, problems):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class FileBlock:
    """A code block that is a file of the project: ``path`` relative to the project
    folder (POSIX), ``mode`` ``replace`` or ``append``, ``line`` the fence's line."""

    path: str
    mode: str
    line: int
    source: str


@dataclass(frozen=True)
class Example:
    """The project a page holds: commands run in order in an empty folder (``setup``),
    the files written after them, then ``run``, with ``services`` provided."""

    section: str
    page: str  # the page's file inside the content folder: "worked-example.md"
    source: Path  # the page's file on disk, for messages
    setup: tuple
    run: str
    services: tuple
    files: tuple  # of FileBlock, in page order

    @property
    def name(self):
        return f"{self.section}/{self.page}"


def parse_info(info):
    """The attributes of a fence's info string (``python file="a.py" mode="append"``) as
    a dict; bare words are left out. Raises ``ValueError`` saying what is wrong."""
    attrs = {}
    pos = 0
    text = info.strip()
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        match = _WORD.match(text, pos)
        if match is None:
            rest = text[pos:].split()[0]
            if '"' in rest or "'" in rest:
                raise ValueError(f"unclosed quote in {rest!r}")
            raise ValueError(f"{rest!r} is not key=\"value\"")
        if match["key"]:
            key = match["key"]
            if key in attrs:
                raise ValueError(f"{key}= is given twice")
            value = next(v for v in (match["dq"], match["sq"], match["bare"]) if v is not None)
            attrs[key] = value
        pos = match.end()
    return attrs


def file_block(block):
    """The ``FileBlock`` of a ``CodeBlock`` fenced with ``file=``, None for any other block.
    Raises ``ValueError`` for a malformed one."""
    if "=" not in block.info:
        return None
    attrs = parse_info(block.info)
    mode = attrs.get("mode", "replace")
    if "file" not in attrs:
        if "mode" in attrs:
            raise ValueError(f'mode="{mode}" needs file="path" on the same fence')
        return None
    if mode not in MODES:
        raise ValueError(f'mode="{mode}" is not one of {", ".join(MODES)}')
    return FileBlock(check_path(attrs["file"]), mode, block.line, block.source)


def check_path(path):
    """``path`` as written in ``file=``, checked to name a file inside the project folder."""
    if not path.strip() or path != path.strip():
        raise ValueError(f"file={path!r}: a path without surrounding spaces is needed")
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("~"):
        raise ValueError(f'file="{path}" is absolute: give a path inside the project folder')
    if ".." in pure.parts:
        raise ValueError(f'file="{path}" goes up with "..": give a path inside the project folder')
    if path.endswith("/") or pure.name in ("", "."):
        raise ValueError(f'file="{path}" names a folder, not a file')
    return pure.as_posix()


def example_of(doc, section, content_folder=None):
    """The ``Example`` the page ``doc`` declares (front matter ``example:``), or None.
    Raises ``ExampleError`` with every problem of the page."""
    if "example" not in doc.meta:
        return None
    problems = []
    where = Location(doc.source)
    spec = doc.meta["example"]
    if not isinstance(spec, dict):
        raise ExampleError([where.problem("example", "example: must be a mapping with "
                                          "setup (optional), run and services (optional)")])
    for key in spec:
        if key not in EXAMPLE_KEYS:
            problems.append(where.problem(key, f"example: unknown key {key!r} "
                                          f"(known: {', '.join(EXAMPLE_KEYS)})"))
    setup = spec.get("setup") or ()
    if isinstance(setup, str):
        setup = (setup,)
    if not isinstance(setup, list | tuple) or not all(isinstance(c, str) and c.strip() for c in setup):
        problems.append(where.problem("setup", "example: setup must be a command or a list of commands"))
        setup = ()
    run = spec.get("run", DEFAULT_RUN)
    if not isinstance(run, str) or not run.strip():
        problems.append(where.problem("run", "example: run must be one command (a string)"))
    services = spec.get("services") or ()
    if isinstance(services, str):
        services = (services,)
    if not isinstance(services, list | tuple):
        problems.append(where.problem("services", "example: services must be a list"))
        services = ()
    for name in services:
        if name not in SERVICES:
            problems.append(where.problem("services", f"example: unknown service {name!r} "
                                          f"(known: {', '.join(SERVICES)})"))
    files = []
    malformed = 0
    for block in doc.code:
        try:
            found = file_block(block)
        except ValueError as exc:
            problems.append(Problem(doc.source, block.line, f"code block: {exc}"))
            malformed += 1
            continue
        if found is not None:
            files.append(found)
    if not files and not setup and not malformed:
        problems.append(where.problem("example", 'example: the page has no code block with '
                                      'file="path" and no setup: there is no project to run'))
    if problems:
        raise ExampleError(problems)
    page = doc.source.name
    if content_folder is not None:
        page = Path(doc.source).relative_to(content_folder).as_posix()
    return Example(section=section, page=page, source=Path(doc.source), setup=tuple(setup),
                   run=run.strip(), services=tuple(dict.fromkeys(services)), files=tuple(files))


def assemble(example, folder):
    """Write the example's files into ``folder`` (where ``setup`` has run), in page order:
    a block replaces the file, or with ``mode="append"`` adds to its end. Raises
    ``ExampleError`` for a block that would write outside the folder or append to nothing."""
    root = Path(folder).resolve()
    written = set()
    for block in example.files:
        target = root / block.path
        problem = _escapes(root, target, block.path)
        if problem:
            raise ExampleError([Problem(example.source, block.line, problem)])
        try:
            if block.mode == "append":
                if not target.is_file():
                    raise ExampleError([Problem(example.source, block.line, (
                        f'mode="append" adds to {block.path}, which neither the example\'s setup '
                        f"nor an earlier block created (setup: "
                        f"{'; '.join(example.setup) or 'none'})"))])
                text = target.read_text(encoding="utf-8")
                with target.open("a", encoding="utf-8") as f:
                    if text and not text.endswith("\n"):
                        f.write("\n")
                    f.write(block.source)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.is_symlink():
                    target.unlink()  # replace the link itself, never what it points at
                target.write_text(block.source, encoding="utf-8")
        except OSError as exc:
            raise ExampleError([Problem(example.source, block.line,
                                        f"cannot write {block.path}: {exc.strerror or exc}")]) from None
        written.add(block.path)
    return sorted(written)


def _escapes(root, target, path):
    """Why writing ``target`` would leave ``root`` (through a symbolic link a setup
    command made, say), or None."""
    resolved = target.resolve()
    if resolved == root or not resolved.is_relative_to(root):
        return f'file="{path}" resolves to {resolved}, outside the project folder'
    return None


class Location:
    """Lines of a page's front matter keys, read from the file when a message needs one."""

    def __init__(self, source):
        self.source = source
        self._lines = None

    def line(self, key):
        if self._lines is None:
            try:
                self._lines = Path(self.source).read_text(encoding="utf-8").splitlines()
            except OSError:
                self._lines = []
        for number, text in enumerate(self._lines[1:], start=2):
            if text.strip() == "---":
                break
            if re.match(rf"\s*-?\s*{re.escape(str(key))}\s*:", text):
                return number
        return 1

    def problem(self, key, message):
        return Problem(self.source, self.line(key), message)
