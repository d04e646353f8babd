"""Worked examples as tested projects: a page is the source of a project.

A page declares its example in its front matter (``example:`` with ``setup``, ``run``,
``services``) and fences every file of it with ``file="path"``; the section's ``index.md``
declares the versions everything is tested with (``tested_with:``). ``portal examples run``
assembles each example in a new folder, in a virtual environment of the section's own with
exactly those versions (kept between runs), against real PostgreSQL and Redis, and runs the
example's own tests. ``portal examples freshness`` compares the versions with PyPI.

- ``project``: the page's example and its file blocks; writing them into a folder
- ``versions``: ``tested_with``, its pin sets
- ``environments``: interpreters, the cached virtual environments
- ``services``: a fresh PostgreSQL database, an emptied Redis database number
- ``runner``: the installed sections' examples, run one after the other
- ``freshness``: the newest releases on the package index
- ``commands``: ``portal examples run|freshness``

Nothing here is part of serving the portal; ``docs/examples.md`` is the author's guide.
"""

from .project import Example, ExampleError, FileBlock, assemble, example_of, parse_info  # noqa: F401
from .versions import PinSet, TestedWith, declared_versions  # noqa: F401
