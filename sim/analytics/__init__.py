"""Customer analytics: pure functions from the dataset's tables to KPIs and models.

One module per area, each importable on its own::

    from sim.analytics import rfm, clv, retention

The modules are imported on first use (PEP 562): ``import sim.analytics`` does
not pay for scipy.stats and the CLV models until a notebook needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
#: Modules reachable as attributes though not in ``__all__`` (``sim.analytics.customer360``).
_OTHER = ("calibration", "customer360")


def __getattr__(name: str) -> Any:
    if name in __all__ or name in _OTHER:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_OTHER})
