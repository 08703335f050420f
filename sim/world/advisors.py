"""Clienteling: client advisors working through a prioritised task list each day.

Tasks (thank-you calls after large orders, win-back calls to lapsing valuable
clients, calls after a rejected repair, event invitations to top clients) wait
on one list. Every morning each advisor takes at most ``tasks_per_day`` of
them, most urgent first, so daily capacity is a hard limit: when the list is
longer than the team can handle, tasks wait and the oldest eventually lapse.

Whether a call reaches the client is drawn per task, keyed by the client, the
task type and the task's own key (the purchase, the day, the month), never by
the order in which advisors get to it: a busier desk changes when a task is
done, not how it turns out.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import simpy

from sim.scenario import Advisors
from sim.world.seeding import uniform

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
        seed: int,
        on_reached: Callable[[int, int, str], None],
    ) -> None:
        self.env = env
        self.cfg = cfg
        self.seed = seed
        self.on_reached = on_reached  # (person, profile, task_type) -> effect
        self._queue: list[tuple[int, float, int, int, int, str, int]] = []
        self._seq = 0
        # advisor, profile, created, done, task type, outcome, person, task key
        self.records: list[tuple[int, int, float, float, str, str, int, int]] = []

    @property
    def active(self) -> bool:
        """True if the brand has advisors with time for tasks."""
        return self.cfg.advisors > 0 and self.cfg.tasks_per_day > 0

    def add(self, person: int, profile: int, task_type: str, key: int) -> None:
        """Put a task on the list (ignored when there are no advisors).

        ``key`` tells this task apart from the person's other tasks of the
        same type (the purchase behind a thank-you call, the day of a
        win-back call…); its outcome is drawn from ``(person, task_type, key)``.
        """
        if not self.active:
            return
        self._seq += 1
        item = (PRIORITY[task_type], self.env.now, self._seq, person, profile, task_type, key)
        heapq.heappush(self._queue, item)

    def reach_draw(self, person: int, task_type: str, key: int) -> float:
        """The uniform deciding whether task ``(person, task_type, key)`` reaches the client."""
        return uniform(self.seed, f"advisor:{task_type}", person, key)

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
                    _, created, _, person, profile, task_type, key = heapq.heappop(self._queue)
                    u = self.reach_draw(person, task_type, key)
                    if u < cfg.reach_prob:
                        outcome = "reached"
                        self.on_reached(person, profile, task_type)
                    else:
                        outcome = (
                            "no_answer"
                            if u < cfg.reach_prob + (1 - cfg.reach_prob) * 0.7
                            else "declined"
                        )
                    self.records.append(
                        (advisor, profile, created, today, task_type, outcome, person, key)
                    )
            yield self.env.timeout(1.0)
