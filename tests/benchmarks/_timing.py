"""Shared by the widget benchmarks: time an explorer's updates and print one line."""

from __future__ import annotations

import statistics


def report(name: str, ex, settings: list[dict]) -> None:
    """Print the median and max time of one update per setting, in ms."""
    _ = ex.widget  # build the Output, as a displayed explorer has one
    times = [1000 * ex.time_update(**s) for s in settings]
    print(
        f"{name}: {statistics.median(times):.0f} ms "
        f"(median of {len(times)}, max {max(times):.0f} ms)",
        flush=True,
    )
