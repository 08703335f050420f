"""The repair workshop: items sent back for repair queue for a few benches."""

from __future__ import annotations

import math

import simpy

__all__ = ["Workshop"]


class Workshop:
    """The repair workshop: a few benches, each repairing one item at a time.

    The workshop draws nothing itself: each repair comes with its work content
    drawn and keyed by the repair, so more benches change the queue, not the work.
    """

    def __init__(self, env: simpy.Environment, benches: int, mean_days: float) -> None:
        self.env = env
        self.benches = simpy.Resource(env, capacity=benches)
        self.mean_days = mean_days

    def work_days(self, u1: float, u2: float) -> float:
        """A repair's work content in days from two uniforms (Gamma(2) with the mean repair time).

        Gamma(2) work is rarely instant and occasionally long; it is the sum
        of two exponentials, so two uniforms give it exactly.
        """
        return -self.mean_days / 2.0 * (math.log1p(-u1) + math.log1p(-u2))

    def repair(self, work_days: float):
        """SimPy process of one repair of ``work_days`` at a bench; its value is the lead time (days)."""
        received = self.env.now
        with self.benches.request() as req:
            yield req
            yield self.env.timeout(work_days)
        return self.env.now - received
