"""Clienteling: client advisors working through a prioritised task list each day.

Each market has its own desk. Tasks (thank-you calls after large orders and
to top clients, win-back calls to lapsing valuable clients, calls after a
rejected repair, check-ins with top clients, event invitations) wait on the
desk's list. Every morning each advisor takes at most their day's quota of
them, most urgent first, so daily capacity is a hard limit: when the list is
longer than the team can handle, tasks wait and the oldest eventually lapse.
Advisors who adopted the clienteling app work through its day plan
(``tasks_per_day``); the others manage ``offline_capacity`` of that.

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

__all__ = ["PRIORITY", "AdvisorDesk", "app_adopters"]

PRIORITY = {
    "win_back_call": 0, "repair_call": 1, "thank_you_call": 2, "check_in": 3, "event_invitation": 4,
}  # fmt: skip
TASK_SHELF_LIFE = 21.0  # days: a task not done by then is dropped from the list
WORKDAY_START = 9.5 / 24


def app_adopters(cfg: Advisors, seed: int, ids: list[int]) -> set[int]:
    """The advisors who adopted the clienteling app: round(app_adoption × team), in a keyed order."""
    ranked = sorted(ids, key=lambda a: (uniform(seed, "advisor-app", a), a))
    return set(ranked[: round(cfg.app_adoption * len(ids))])


class AdvisorDesk:
    """The advisors' shared task list and their daily round of calls."""

    def __init__(
        self,
        env: simpy.Environment,
        cfg: Advisors,
        seed: int,
        on_reached: Callable[[int, int, str, int], None],
        advisors: int | None = None,
        first: int = 1,
        market: str = "",
        keys: list[int] | None = None,
        adopters: set[int] | None = None,
    ) -> None:
        self.env = env
        self.cfg = cfg
        self.seed = seed
        self.on_reached = on_reached  # (person, profile, task_type, key) -> effect
        self.advisors = cfg.advisors if advisors is None else advisors
        self.first = first  # advisor ids first .. first + advisors - 1
        self.keys = keys  # person -> key (draws are keyed by the person's key)
        ids = list(range(first, first + self.advisors))
        if adopters is None:
            adopters = app_adopters(cfg, seed, ids)
        self.adopters = adopters & set(ids)
        self.app_users = len(self.adopters)
        offline = round(cfg.offline_capacity * cfg.tasks_per_day)
        self.quota = [(a, cfg.tasks_per_day if a in adopters else offline) for a in ids]
        self._queue: list[tuple[int, float, int, int, int, str, int]] = []
        self._seq = 0
        # advisor, profile, created, done, task type, outcome, person, task key
        self.records: list[tuple[int, int, float, float, str, str, int, int]] = []

    @property
    def active(self) -> bool:
        """True if the desk has advisors with time for tasks."""
        return self.advisors > 0 and self.cfg.tasks_per_day > 0

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
        who = person if self.keys is None else self.keys[person]
        return uniform(self.seed, f"advisor:{task_type}", who, key)

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
            for advisor, quota in self.quota:
                for _ in range(quota):
                    if not self._queue:
                        break
                    _, created, _, person, profile, task_type, key = heapq.heappop(self._queue)
                    u = self.reach_draw(person, task_type, key)
                    if u < cfg.reach_prob:
                        outcome = "reached"
                        self.on_reached(person, profile, task_type, key)
                    else:
                        outcome = (
                            "no_answer"
                            if u < cfg.reach_prob + (1 - cfg.reach_prob) * 0.7
                            else "declined"
                        )
                    self.records.append(
                        (advisor, profile, created, today, task_type, outcome, person, key,
                         advisor in self.adopters)
                    )  # fmt: skip
            yield self.env.timeout(1.0)
