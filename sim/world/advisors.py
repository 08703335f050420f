"""Clienteling: client advisors working through a prioritised task list each day.

Tasks (thank-you calls after large orders, win-back calls to lapsing valuable
clients, calls after a rejected repair, event invitations to top clients) wait
on one list. Every morning each advisor takes at most ``tasks_per_day`` of
them, most urgent first, so daily capacity is a hard limit: when the list is
longer than the team can handle, tasks wait and the oldest eventually lapse.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np
import simpy

from sim.scenario import Advisors

__all__ = ["PRIORITY", "AdvisorDesk"]

PRIORITY = {"win_back_call": 0, "repair_call": 1, "thank_you_call": 2, "event_invitation": 3}
TASK_SHELF_LIFE = 21.0  # days: a task not done by then is dropped from the list
WORKDAY_START = 9.5 / 24


class AdvisorDesk:
    """The advisors' shared task list and their daily round of calls."""

    def __init__(
        self,
        env: simpy.Environment,
        cfg: Advisors,
        rng: np.random.Generator,
        on_reached: Callable[[int, int, str], None],
    ) -> None:
        self.env = env
        self.cfg = cfg
        self.rng = rng
        self.on_reached = on_reached  # (person, profile, task_type) -> effect
        self._queue: list[tuple[int, float, int, int, int, str]] = []
        self._seq = 0
        self.records: list[tuple[int, int, float, float, str, str]] = []

    @property
    def active(self) -> bool:
        """True if the brand has advisors with time for tasks."""
        return self.cfg.advisors > 0 and self.cfg.tasks_per_day > 0

    def add(self, person: int, profile: int, task_type: str) -> None:
        """Put a task on the list (ignored when there are no advisors)."""
        if not self.active:
            return
        self._seq += 1
        heapq.heappush(
            self._queue, (PRIORITY[task_type], self.env.now, self._seq, person, profile, task_type)
        )

    def workday(self):
        """SimPy process: each morning, every advisor works through up to their daily quota."""
        if not self.active:
            return
        cfg = self.cfg
        yield self.env.timeout(WORKDAY_START)
        while True:
            today = self.env.now
            # Drop tasks that waited too long to still make sense.
            if any(today - item[1] > TASK_SHELF_LIFE for item in self._queue):
                self._queue = [q for q in self._queue if today - q[1] <= TASK_SHELF_LIFE]
                heapq.heapify(self._queue)
            for advisor in range(1, cfg.advisors + 1):
                for _ in range(cfg.tasks_per_day):
                    if not self._queue:
                        break
                    _, created, _, person, profile, task_type = heapq.heappop(self._queue)
                    u = self.rng.random()
                    if u < cfg.reach_prob:
                        outcome = "reached"
                        self.on_reached(person, profile, task_type)
                    else:
                        outcome = (
                            "no_answer"
                            if u < cfg.reach_prob + (1 - cfg.reach_prob) * 0.7
                            else "declined"
                        )
                    self.records.append((advisor, profile, created, today, task_type, outcome))
            yield self.env.timeout(1.0)
