"""Parsed content kept on disk between starts (``portal.content.cache_dir``).

Reading a content folder (parsing every page's Markdown, checking its links) was most of the
portal's start-up. A folder's pages depend only on its files, the section's name and the
portal's Markdown dialect, so the parsed ``Document`` tree is stored under a hash of exactly
those, with each page's HTML in a file of its own; the next start with the same files loads
the tree (milliseconds) and reads a page's HTML from its file when the page is first shown.
Any change to any file of the folder (or a new portal release) is a new hash: a cache is
never stale, only unused. ``portal content cache CONFIG`` fills it ahead of time (the
Dockerfile does, so a container starts warm). Writes go to a temporary folder renamed into
place, so processes starting together never read half a cache.
"""

import functools
import hashlib
import importlib.metadata
import logging
import os
import pickle
import shutil
import tempfile
from pathlib import Path

from .documents import iter_documents

log = logging.getLogger(__name__)

# Bump when Document, the loader or the Markdown dialect changes what a folder becomes.
FORMAT = 2


def _portal_version():
    try:
        return importlib.metadata.version("backend-portal")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def folder_key(folder, section):
    """The hash of everything a folder's parsed pages depend on."""
    digest = hashlib.sha256(f"{FORMAT}\0{_portal_version()}\0{section}\0".encode())
    folder = Path(folder)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def _read_html(path):
    return Path(path).read_text(encoding="utf-8")


class ContentCache:
    def __init__(self, directory):
        self.directory = Path(directory)

    def load(self, key):
        """The cached root ``Document`` of ``key``, or None."""
        where = self.directory / key
        try:
            with open(where / "tree.pickle", "rb") as f:
                root = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        for n, doc in enumerate(iter_documents(root)):
            doc._render = functools.partial(_read_html, where / f"{n}.html")
        return root

    def store(self, key, root):
        """Render every page of ``root`` and keep the tree and the HTML under ``key``."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=self.directory))
        except OSError as exc:
            log.warning("content cache %s cannot be written: %s", self.directory, exc)
            return
        try:
            docs = list(iter_documents(root))
            for n, doc in enumerate(docs):
                # The page's own rendering, not doc.html: that would keep the HTML in
                # memory now, before the plugin host adds its finishing touches
                # (Document._finish, the static files' versions), which come later.
                html = doc._html if doc._render is None else doc._render()
                (scratch / f"{n}.html").write_text(html or "", encoding="utf-8")
            kept = [(doc._render, doc._html, doc._finish) for doc in docs]
            for doc in docs:
                doc._render, doc._html, doc._finish = None, None, None
            try:
                with open(scratch / "tree.pickle", "wb") as f:
                    pickle.dump(root, f, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                for doc, (render, html, finish) in zip(docs, kept, strict=True):
                    doc._render, doc._html, doc._finish = render, html, finish
            os.rename(scratch, self.directory / key)
        except OSError:
            # Another process stored the same key first (or the disk is full): theirs is
            # as good as ours.
            shutil.rmtree(scratch, ignore_errors=True)
