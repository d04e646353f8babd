"""Moderators: named users with argon2-hashed passwords."""

import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ops.clock import utcnow


class Moderator(Base):
    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
