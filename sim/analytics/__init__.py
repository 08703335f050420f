"""Customer analytics: pure functions from the dataset's tables to KPIs and models.

One module per area, each importable on its own::

    from sim.analytics import rfm, clv, retention
"""

from sim.analytics import (
    acquisition,
    campaigns,
    clv,
    intervals,
    journeys,
    loyalty,
    quality,
    retention,
    rfm,
    service,
)

__all__ = [
    "acquisition",
    "campaigns",
    "clv",
    "intervals",
    "journeys",
    "loyalty",
    "quality",
    "retention",
    "rfm",
    "service",
]
