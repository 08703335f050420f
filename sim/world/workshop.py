"""The repair workshop: items sent back for repair queue for a few benches."""

from __future__ import annotations

import numpy as np
import simpy

__all__ = ["Workshop"]


class Workshop:
    """The repair workshop: a few benches, each repairing one item at a time."""

    def __init__(
        self, env: simpy.Environment, benches: int, mean_days: float, rng: np.random.Generator
    ) -> None:
        self.env = env
        self.benches = simpy.Resource(env, capacity=benches)
        self.mean_days = mean_days
        self.rng = rng

    def repair(self):
        """SimPy process of one repair; its value is the lead time in days."""
        received = self.env.now
        with self.benches.request() as req:
            yield req
            # Gamma(2) work times: rarely instant, occasionally long.
            yield self.env.timeout(self.rng.gamma(2.0, self.mean_days / 2.0))
        return self.env.now - received
