"""Deprecated: moved to ``portal.ops.logs``. Kept because .ini files of existing deployments
name ``portal.logs.JsonFormatter`` in their ``[formatter_json]`` section."""

import warnings

from .ops.logs import JsonFormatter  # noqa: F401

warnings.warn("portal.logs is deprecated; use portal.ops.logs.JsonFormatter in the .ini file",
              DeprecationWarning, stacklevel=2)
