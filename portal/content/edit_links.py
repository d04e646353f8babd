"""Where a page's source can be edited: the plugin distribution's ``Project-URL: Source``
(from its installed metadata) joined with the section's ``edit_uri`` (front matter of the
section's ``index.md``, MkDocs' name for it: ``edit/main/docs/`` or a template with
``{path}``), then the page's path inside the content folder. No Source or no edit_uri: no
link, rather than a guess."""

import functools
import importlib.metadata


@functools.cache
def source_url(package):
    """The ``Source`` project URL of the distribution that installed ``package``, or None."""
    for dist in importlib.metadata.packages_distributions().get(package, ()):
        try:
            urls = importlib.metadata.metadata(dist).get_all("Project-URL") or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for entry in urls:
            label, _, url = entry.partition(",")
            if label.strip().lower() in ("source", "source code", "repository") and url.strip():
                return url.strip().rstrip("/")
    return None


def edit_url(section, doc):
    """The edit link of ``doc`` (a page of ``section``), or None."""
    template = section.doc.meta.get("edit_uri") if section.doc.meta else None
    package = (section.spec or "").partition(":")[0]
    if not isinstance(template, str) or not template or not package:
        return None
    base = source_url(package)
    if base is None:
        return None
    path = doc.source.relative_to(section.doc.source.parent).as_posix()
    if "{path}" in template:
        tail = template.replace("{path}", path)
    else:
        tail = template.rstrip("/") + "/" + path
    return tail if "://" in tail else f"{base}/{tail.lstrip('/')}"
