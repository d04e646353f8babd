"""Every model of the portal, imported in one place so the metadata is complete: for Alembic
(``portal/alembic/env.py``), ``configure_mappers()`` at start-up, and the tests that compare the
models with the migrations. Each model lives in its domain."""

from .abuse.models import ClientEvent
from .db import Base
from .discussion.models import Comment, Rating
from .moderation.models import Moderator
from .plugins.models import SectionOwner
from .search.models import SearchMiss

__all__ = ["Base", "ClientEvent", "Comment", "Moderator", "Rating", "SearchMiss", "SectionOwner"]
