"""``portal plugin new --from-mkdocs PATH/mkdocs.yml NAME``: a plugin package made from an
MkDocs project (docs/mkdocs.md).

The package is the one ``portal plugin new`` writes, with the project's pages as its
content: ``docs_dir`` is copied (file and folder names made URL segments, links
following them), ``nav:`` becomes each page's ``title`` and ``order`` front matter,
``site_name`` and ``site_description`` the section's title and summary, images and other
files static files with the links to them rewritten, snippets files of the package. What
cannot be carried (plugins such as mkdocstrings, macros or i18n, theme overrides,
unsupported extensions) is listed in a summary, printed and written into the README.
"""

import json
import posixpath
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..content import SEGMENT_RE, ContentError, FolderLoader
from ..content.extensions.snippets import split_spec
from .scaffold import ScaffoldError, create_plugin, names_for

# MkDocs plugins whose work the portal does itself.
CARRIED_PLUGINS = {"search", "tags", "offline", "privacy"}
# Markdown extensions the portal renders (docs/mkdocs.md has the table).
SUPPORTED_EXTENSIONS = {
    "abbr", "admonition", "attr_list", "def_list", "footnotes", "tables", "toc", "meta",
    "md_in_html", "fenced_code", "codehilite", "sane_lists", "smarty",
    "pymdownx.details", "pymdownx.superfences", "pymdownx.tabbed", "pymdownx.highlight",
    "pymdownx.inlinehilite", "pymdownx.snippets", "pymdownx.keys", "pymdownx.mark",
    "pymdownx.caret", "pymdownx.tilde", "pymdownx.tasklist", "pymdownx.emoji",
    "pymdownx.betterem", "pymdownx.smartsymbols", "pymdownx.escapeall", "pymdownx.magiclink",
    "pymdownx.saneheaders",
}
_FENCE_RE = re.compile(r"^\s*(```+|~~~+)")
_INLINE_LINK_RE = re.compile(r"(!?\[(?:[^\[\]]|\[[^\]]*\])*\]\()(<[^>]*>|[^)\s]+)((?:\s+[\"'(][^)]*)?\))")
_REFERENCE_RE = re.compile(r"^(\s{0,3}\[[^\]]+\]:\s*)(<[^>]*>|\S+)(.*)$")
_HTML_ATTR_RE = re.compile(r"""(<(?:img|a|source|video|audio)\b[^>]*?\s(?:src|href)=)(["'])([^"']+)\2""", re.I)
_SNIPPET_RE = re.compile(r'^(\s*)(--8<--\s+)(["\'])([^"\']+)\3\s*$')
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//|^#")


class MkDocsError(ScaffoldError):
    """The MkDocs project cannot be imported; the message says why."""


class _Loader(yaml.SafeLoader):
    """mkdocs.yml as MkDocs reads it: ``!ENV`` and ``!!python/name:`` tags are kept as
    their text (the importer needs none of their values)."""


def _tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return f"{node.tag}{' ' if node.value else ''}{loader.construct_scalar(node)}"
    return None


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _tagged)
_Loader.add_multi_constructor("!", _tagged)


@dataclass
class Page:
    source: Path  # in docs_dir
    rel: str  # posix path in docs_dir
    target: str  # posix path in the content folder
    title: str | None = None
    order: int | None = None


@dataclass
class Imported:
    target: Path
    pages: int
    assets: int
    snippets: int
    not_carried: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def read_config(path):
    path = Path(path)
    if path.is_dir():
        path = path / "mkdocs.yml"
    try:
        config = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except OSError as exc:
        raise MkDocsError(f"{path} cannot be read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise MkDocsError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(config, dict):
        raise MkDocsError(f"{path} is not an MkDocs configuration (expected key: value pairs)")
    return path, config


def segment(name):
    """A file or folder name as a URL segment: ``Getting_Started`` -> ``getting-started``."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text or "page"


def _names(config):
    """Extension and plugin names of a configuration (``- name`` or ``- name: {...}``)."""
    def names(items):
        if isinstance(items, dict):
            return {str(k): v for k, v in items.items()}
        found = {}
        for item in items or ():
            if isinstance(item, dict):
                found.update({str(k): v for k, v in item.items()})
            else:
                found[str(item)] = None
        return found
    return names(config.get("markdown_extensions")), names(config.get("plugins", ["search"]))


class MkDocsImport:
    def __init__(self, config_path, name, parent, title=None):
        self.config_path, self.config = read_config(config_path)
        self.project = self.config_path.parent
        self.docs = (self.project / str(self.config.get("docs_dir", "docs"))).resolve()
        if not self.docs.is_dir():
            raise MkDocsError(f"docs_dir {self.docs} of {self.config_path} does not exist")
        self.name = name
        self.title = title or str(self.config.get("site_name") or "").strip() or None
        self.summary = " ".join(str(self.config.get("site_description") or "").split())
        self.parent = Path(parent)
        self.extensions, self.plugins = _names(self.config)
        self.not_carried = []
        self.pages = {}  # rel in docs_dir -> Page
        self.folder_titles = {}  # folder in the content folder -> title (from nav sections)

    # --- what goes where ------------------------------------------------------------

    def plan(self):
        files = sorted(p for p in self.docs.rglob("*") if p.is_file()
                       and not any(part.startswith(".") for part in p.relative_to(self.docs).parts))
        snippets = self._snippet_targets(files)
        taken = set()
        for file in files:
            rel = file.relative_to(self.docs).as_posix()
            if file.suffix != ".md" or file in snippets:
                continue
            folders = [segment(p) for p in rel.split("/")[:-1]]
            stem = file.stem
            leaf = "index" if stem.lower() in ("index", "readme") else segment(stem)
            if leaf == "index" and stem.lower() == "readme" and (file.parent / "index.md").exists():
                leaf = "readme"
            target = "/".join([*folders, leaf]) + ".md"
            n = 2
            while target in taken:
                target = "/".join([*folders, f"{leaf}-{n}"]) + ".md"
                n += 1
            taken.add(target)
            self.pages[rel] = Page(file, rel, target)
        if not any(p.target == "index.md" for p in self.pages.values()):
            raise MkDocsError(f"{self.docs} has no index.md (nor README.md): MkDocs and the portal "
                              "both need a home page")
        self._apply_nav()
        self.assets = [f for f in files if f.suffix != ".md" and f not in snippets]
        self.snippets = snippets

    def _snippet_targets(self, files):
        """file -> path as written, for every snippet the pages include (pymdownx's
        base_path: the project's folder unless the configuration says otherwise)."""
        options = self.extensions.get("pymdownx.snippets") or {}
        bases = options.get("base_path", ["."]) if isinstance(options, dict) else ["."]
        bases = [bases] if isinstance(bases, str) else list(bases)
        found = {}
        todo = [f for f in files if f.suffix == ".md"]
        for file in todo:
            for line in _text(file).splitlines():
                match = _SNIPPET_RE.match(line)
                if not match:
                    continue
                written, _ = split_spec(match[4])
                for base in bases:
                    candidate = (self.project / base / written).resolve()
                    if candidate.is_file() and candidate.is_relative_to(self.project.resolve()):
                        if candidate not in found:
                            found[candidate] = written
                            if candidate.suffix == ".md":
                                todo.append(candidate)
                        break
                else:
                    self.not_carried.append(f"{file.relative_to(self.project)}: snippet {match[4]!r} "
                                            "is in none of pymdownx.snippets' base paths")
        for path in options.get("auto_append", ()) if isinstance(options, dict) else ():
            self.not_carried.append(f"pymdownx.snippets auto_append {path!r}: add "
                                    f'--8<-- "{path}" to the pages that need it')
        # A page of the nav stays a page even if another page includes it.
        in_nav = set(self._nav_files())
        return {f: w for f, w in found.items()
                if not (f.is_relative_to(self.docs) and f.relative_to(self.docs).as_posix() in in_nav)}

    def _nav_files(self):
        def walk(items):
            for item in items or ():
                value = next(iter(item.values())) if isinstance(item, dict) and item else item
                if isinstance(value, list):
                    yield from walk(value)
                elif isinstance(value, str):
                    yield value
        return list(walk(self.config.get("nav")))

    def _apply_nav(self):
        nav = self.config.get("nav")
        if not nav:
            return
        counter = iter(range(10, 100000, 10))

        def walk(items, section=None):
            for item in items:
                title, value = (next(iter(item.items())) if isinstance(item, dict) and item
                                else (None, item))
                if isinstance(value, list):
                    walk(value, str(title))
                    continue
                if not isinstance(value, str):
                    continue
                if _SCHEME_RE.match(value):
                    self.not_carried.append(f"nav: the link {title or value!r} ({value}) is not a page; "
                                            "link it from a page instead")
                    continue
                page = self.pages.get(value.lstrip("/"))
                if page is None:
                    self.not_carried.append(f"nav: {value!r} is not a page of {self.docs.name}/")
                    continue
                page.order = next(counter)
                if page.target == "index.md":
                    continue  # the section's landing page keeps its own title
                if title is not None:
                    page.title = str(title)
                elif section and page.target.endswith("index.md") and page.title is None:
                    page.title = section
                if section:
                    sections.setdefault(section, set()).add(posixpath.dirname(page.target))

        sections = {}
        walk(nav)
        # A nav section whose pages share a folder names that folder's landing page.
        self.folder_titles = {next(iter(folders)): title for title, folders in sections.items()
                              if len(folders) == 1 and next(iter(folders))}
        missing = sorted(p.rel for p in self.pages.values() if p.order is None and p.target != "index.md")
        for rel in missing:
            self.not_carried.append(f"nav: {rel} is not in the nav; the portal lists it after the others")

    # --- writing -------------------------------------------------------------------

    def write(self):
        values = names_for(self.name, self.title)
        self.plan()
        target, _ = create_plugin(self.name, self.parent, title=self.title)
        package = target / values["module"]
        content = package / "content"
        shutil.rmtree(content)  # the scaffold's sample pages
        content.mkdir()
        for page in self.pages.values():
            out = content / page.target
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(self._page_text(page), encoding="utf-8")
        self._folder_indexes(content)
        for asset in self.assets:
            out = package / "static" / asset.relative_to(self.docs)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(asset, out)
        for file, written in self.snippets.items():
            out = package / self._snippet_path(written)
            out.parent.mkdir(parents=True, exist_ok=True)
            if file.suffix == ".md":  # a snippet may include snippets
                out.write_text("\n".join(
                    f"{m[1]}{m[2]}{m[3]}{self._snippet_path(m[4])}{m[3]}" if (m := _SNIPPET_RE.match(line))
                    else line for line in _text(file).split("\n")), encoding="utf-8")
            else:
                shutil.copy2(file, out)
        self._report_config()
        _ship(target, values["module"], ["content", "static", "snippets"])
        if self.summary:
            _set_summary(package / "__init__.py", self.summary)
        problems = self._check(content)
        _write_readme(target / "README.md", self)
        return Imported(target, len(self.pages), len(self.assets), len(self.snippets),
                        self.not_carried, problems)

    def _page_text(self, page):
        text = _text(page.source)
        meta, body = _split_front_matter(text)
        if isinstance(meta, dict) and "description" in meta and "summary" not in meta:
            meta["summary"] = " ".join(str(meta.pop("description")).split())
        meta = meta if isinstance(meta, dict) else {}
        if page.title:
            meta["title"] = page.title
        elif page.target == "index.md" and "title" not in meta and not re.match(r"^\s*# ", _first_block(body)):
            meta["title"] = self.title or self.name
        elif "title" not in meta and not re.match(r"^\s*# ", _first_block(body)):
            meta["title"] = page.source.stem.replace("-", " ").replace("_", " ").capitalize()
        if page.order is not None and "order" not in meta:
            meta["order"] = page.order
        for key in ("title", "summary"):
            if key in meta and not isinstance(meta[key], str):
                meta[key] = str(meta[key])
        if "tags" in meta and not isinstance(meta["tags"], list):
            meta["tags"] = [str(meta["tags"])]
        body = self._rewrite(page, body)
        if not meta:
            return body
        front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
        return f"---\n{front}---\n\n{body.lstrip(chr(10))}"

    def _rewrite(self, page, body):
        """Links to renamed pages and to files that became static files; snippet paths."""
        out, fence = [], None
        for line in body.split("\n"):
            snippet = _SNIPPET_RE.match(line)
            if snippet:  # inside code blocks too: snippets are read before anything else
                path = self._snippet_path(snippet[4])
                out.append(f"{snippet[1]}{snippet[2]}{snippet[3]}{path}{snippet[3]}")
                continue
            opening = _FENCE_RE.match(line)
            if fence:
                if opening and opening[1][0] == fence[0] and len(opening[1]) >= len(fence):
                    fence = None
                out.append(line)
                continue
            if opening:
                fence = opening[1]
                out.append(line)
                continue
            line = _INLINE_LINK_RE.sub(lambda m: m[1] + self._target(page, m[2], m[1][0] == "!") + m[3], line)
            line = _REFERENCE_RE.sub(lambda m: m[1] + self._target(page, m[2], False) + m[3], line)
            line = _HTML_ATTR_RE.sub(lambda m: m[1] + m[2] + self._target(page, m[3], True, html=True) + m[2], line)
            out.append(line)
        return "\n".join(out)

    def _snippet_path(self, written):
        """Snippets are copied under the package's ``snippets/``: their markers follow."""
        path, _ = split_spec(written)
        if path not in self.snippets.values() or path.startswith("snippets/"):
            return written
        return "snippets/" + written

    def _target(self, page, href, image, html=False):
        bracketed = href.startswith("<") and href.endswith(">")
        raw = href[1:-1] if bracketed else href
        if not raw or _SCHEME_RE.match(raw) or raw.startswith("/"):
            return href
        path, _, fragment = raw.partition("#")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page.rel), path))
        if resolved.startswith("../"):
            return href
        new = None
        if resolved in self.pages or resolved.endswith(".md"):
            found = self.pages.get(resolved)
            if found is not None:
                new = posixpath.relpath(found.target, posixpath.dirname(page.target) or ".")
        elif (self.docs / resolved).is_file():
            new = f"/-/static/{self.name}/{resolved}"
            if html:  # the portal rewrites Markdown links only: raw HTML gets a relative URL
                segments = page.target[:-3].split("/")
                depth = 1 + len(segments) - (segments[-1] == "index")
                new = "../" * depth + new[1:]
        elif (self.docs / resolved).is_dir() and resolved + "/index.md" in self.pages:
            found = self.pages[resolved + "/index.md"]
            new = posixpath.relpath(found.target, posixpath.dirname(page.target) or ".")
        if new is None:
            return href
        new += f"#{fragment}" if fragment else ""
        return f"<{new}>" if bracketed else new

    def _folder_indexes(self, content):
        """A folder of pages needs an index.md to be served: one listing its pages."""
        for folder in sorted({p.parent for p in content.rglob("*.md")}, key=lambda p: len(p.parts)):
            if folder == content or (folder / "index.md").exists():
                continue
            for missing in [folder, *folder.parents]:
                if missing == content:
                    break
                index = missing / "index.md"
                if index.exists():
                    continue
                rel = missing.relative_to(content).as_posix()
                title = self.folder_titles.get(rel) or missing.name.replace("-", " ").capitalize()
                pages = sorted(p for p in missing.glob("*.md") if p.name != "index.md")
                lines = [f"- [{_title_of(p)}]({p.name})" for p in pages]
                orders = [o for o in (self._order_of(content, p) for p in pages) if o is not None]
                front = {"title": title}
                if orders:
                    front["order"] = min(orders) - 1
                index.write_text("---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\n"
                                 + "\n".join(lines) + "\n", encoding="utf-8")

    def _order_of(self, content, path):
        rel = path.relative_to(content).as_posix()
        return next((p.order for p in self.pages.values() if p.target == rel), None)

    def _report_config(self):
        for name in self.plugins:
            if name not in CARRIED_PLUGINS:
                self.not_carried.append(f"plugin {name!r} is not carried: the portal runs no MkDocs plugins")
        for name in self.extensions:
            if name not in SUPPORTED_EXTENSIONS:
                self.not_carried.append(f"markdown extension {name!r} is not supported: its syntax is "
                                        "shown as text and reported by portal plugin check")
        theme = self.config.get("theme") or {}
        if isinstance(theme, dict) and theme.get("custom_dir"):
            self.not_carried.append(f"theme custom_dir {theme['custom_dir']!r}: template overrides are "
                                    "not carried (a plugin may ship Jinja2 templates: docs/plugins.md)")
        for key in ("extra_css", "extra_javascript", "hooks"):
            if self.config.get(key):
                self.not_carried.append(f"{key} is not carried (files under docs/ are copied as static files)")
        if isinstance(self.config.get("extra"), dict) and self.config["extra"].get("alternate"):
            self.not_carried.append("extra.alternate (languages): the portal serves one language per section")

    def _check(self, content):
        """The problems ``portal plugin check`` will report, found the same way."""
        try:
            root = FolderLoader(content, self.name).load()
        except ContentError as exc:
            return list(exc.problems) or [str(exc)]
        problems = []
        stack = [root]
        while stack:
            doc = stack.pop()
            problems.extend(doc.warnings)
            stack.extend(doc.children)
        return problems


def _text(path):
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _split_front_matter(text):
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            try:
                meta = yaml.safe_load(text[4:end]) or {}
            except yaml.YAMLError:
                return {}, text
            rest = text[end + 4:]
            return meta, rest.split("\n", 1)[1] if "\n" in rest else ""
    return {}, text


def _first_block(body):
    return next((line for line in body.splitlines() if line.strip()), "")


def _title_of(path):
    meta, body = _split_front_matter(_text(path))
    if isinstance(meta, dict) and meta.get("title"):
        return str(meta["title"])
    first = _first_block(body)
    return first[2:].strip() if first.startswith("# ") else path.stem.replace("-", " ").capitalize()


def _set_summary(init, summary):
    """The section's summary in the scaffold's ``includeme``: the project's description."""
    text = init.read_text(encoding="utf-8")
    new = re.sub(r'summary="[^"\n]*"', lambda m: f"summary={json.dumps(summary)}", text, count=1)
    init.write_text(new, encoding="utf-8")


def _ship(target, module, folders):
    """Make sure the wheel carries every file of ``folders`` (whichever way the scaffold
    declares package data: MANIFEST.in or pyproject.toml's package-data)."""
    manifest = target / "MANIFEST.in"
    if manifest.exists():
        lines = manifest.read_text(encoding="utf-8").rstrip("\n").split("\n")
        for folder in folders:
            rule = f"recursive-include {module}/{folder} *"
            if rule not in lines:
                lines.append(rule)
        manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pyproject = target / "pyproject.toml"
    if pyproject.exists():
        text = pyproject.read_text(encoding="utf-8")
        data = tomllib.loads(text).get("tool", {}).get("setuptools", {})
        package_data = data.get("package-data")
        if package_data is not None and module not in package_data:
            patterns = ", ".join(f'"{folder}/**/*"' for folder in folders)
            text = text.replace("[tool.setuptools.package-data]\n",
                                f'[tool.setuptools.package-data]\n"{module}" = [{patterns}]\n', 1)
            pyproject.write_text(text, encoding="utf-8")


def _write_readme(readme, job):
    lines = ["", "## Imported from MkDocs", "",
             f"Made by `portal plugin new --from-mkdocs` from `{job.config_path.name}` "
             f"(`{job.docs.name}/`: {len(job.pages)} pages, {len(job.assets)} static files, "
             f"{len(job.snippets)} snippet files).", ""]
    if job.not_carried:
        lines += ["What could not be carried:", ""] + [f"- {item}" for item in job.not_carried]
    else:
        lines.append("Everything was carried.")
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    readme.write_text(text.rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


def import_mkdocs(config_path, name, parent=".", title=None):
    """Write the plugin package ``portal-<name>`` made from the MkDocs project of
    ``config_path`` into ``parent``; returns an ``Imported``."""
    if not SEGMENT_RE.match(name or ""):
        names_for(name)  # raises the scaffold's message
    return MkDocsImport(config_path, name, parent, title).write()


def import_command(args):
    """``portal plugin new --from-mkdocs PATH NAME [--dir DIR] [--title TITLE]``."""
    import sys

    try:
        done = import_mkdocs(args.from_mkdocs, args.name, args.dir, title=args.title)
    except ScaffoldError as exc:
        print(f"portal plugin new: {exc}", file=sys.stderr)
        return 2
    print(f"Created {done.target} from {args.from_mkdocs}: {done.pages} pages, "
          f"{done.assets} static files, {done.snippets} snippet files.")
    if done.not_carried:
        print(f"Not carried ({len(done.not_carried)}; also listed in {done.target / 'README.md'}):")
        for item in done.not_carried:
            print(f"  - {item}")
    if done.problems:
        print(f"portal plugin check will report {len(done.problems)} problem"
              f"{'s' if len(done.problems) != 1 else ''}:")
        for problem in done.problems:
            print(f"  {problem}")
    print("Next:")
    print(f"  cd {done.target}")
    print('  pip install -e ".[test]"')
    print(f"  portal plugin check {args.name}")
    return 0
