"""The rating queries: the upsert that keeps one rating per reader per page, a page's
summary, and the Wilson-bound ranking of the best-rated pages."""

import math
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select

from ..db import upsert_insert
from ..ops.clock import utcnow
from .models import STARS, Rating

WILSON_Z = 1.96  # 95% confidence


def upsert(dbsession, page_key, reader_key, stars, now=None):
    """Set ``reader_key``'s rating of ``page_key`` in one statement (INSERT ... ON CONFLICT
    DO UPDATE): two concurrent requests of one reader end with one row, the later value."""
    insert = upsert_insert(dbsession)
    now = now or utcnow()
    stmt = insert(Rating).values(
        page_key=page_key, reader_key=reader_key, stars=stars, created_at=now, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[Rating.page_key, Rating.reader_key],
        set_={"stars": stmt.excluded.stars, "updated_at": stmt.excluded.updated_at},
    )
    dbsession.execute(stmt)


# Built once: a page view runs these, and building them cost more than running them.
_OWN_RATING = select(Rating.stars).where(Rating.page_key == bindparam("page_key"),
                                         Rating.reader_key == bindparam("reader_key"))
_HISTOGRAM = (select(Rating.stars, func.count()).where(Rating.page_key == bindparam("page_key"))
              .group_by(Rating.stars))


def own_rating(dbsession, page_key, reader_key):
    if reader_key is None:
        return None
    return dbsession.scalar(_OWN_RATING, {"page_key": page_key, "reader_key": reader_key})


@dataclass
class Summary:
    """What a page shows of its ratings."""

    count: int = 0
    histogram: dict = field(default_factory=lambda: dict.fromkeys(STARS, 0))

    @property
    def total(self):
        return sum(stars * n for stars, n in self.histogram.items())

    @property
    def mean(self):
        return round(self.total / self.count, 2) if self.count else None

    @property
    def score(self):
        return wilson_lower_bound(self.total, self.count)

    def as_json(self):
        return {
            "count": self.count,
            "mean": self.mean,
            "histogram": {str(s): n for s, n in self.histogram.items()},
        }


def summary(dbsession, page_key):
    result = Summary()
    for stars, n in dbsession.execute(_HISTOGRAM, {"page_key": page_key}):
        result.histogram[stars] = n
        result.count += n
    return result


def wilson_lower_bound(total_stars, count, z=WILSON_Z):
    """The lower bound of the Wilson score interval of a page's ratings, in [0, 1].

    Stars 1..5 are read as a share of "positive" (1 star = 0, 5 stars = 1), so a page
    rated 5 by one reader ranks below one rated 4.6 by forty: the bound rewards evidence,
    not a lucky mean."""
    if count <= 0:
        return 0.0
    p = (total_stars - count) / (4 * count)
    z2 = z * z
    centre = p + z2 / (2 * count)
    margin = z * math.sqrt((p * (1 - p) + z2 / (4 * count)) / count)
    return max(0.0, (centre - margin) / (1 + z2 / count))


@dataclass(frozen=True)
class Ranked:
    page_key: str
    count: int
    mean: float
    score: float


def best_rated(dbsession, page_keys=None, prefix=None, limit=5, min_count=1):
    """Pages ranked by the Wilson lower bound of their ratings, best first.

    ``page_keys`` keeps the ranking to pages that exist (content moves between plugin
    versions, ratings stay); ``prefix`` keeps it to one section (``"django"``)."""
    query = select(
        Rating.page_key, func.count(), func.sum(Rating.stars)
    ).group_by(Rating.page_key).having(func.count() >= min_count)
    if prefix:
        query = query.where(
            (Rating.page_key == prefix) | Rating.page_key.startswith(prefix + "/", autoescape=True)
        )
    ranked = []
    for key, count, total in dbsession.execute(query):
        if page_keys is not None and key not in page_keys:
            continue
        ranked.append(Ranked(key, count, round(total / count, 2),
                             wilson_lower_bound(total, count)))
    ranked.sort(key=lambda r: (-r.score, -r.count, r.page_key))
    return ranked[:limit]
