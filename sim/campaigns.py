"""Marketing automation: newsletters and triggered journeys, with consent always respected.

The :class:`Messenger` owns the consent state of every profile. It sends
triggered messages one at a time (welcome, thank-you, repair updates,
win-back) and broadcast newsletters and birthday greetings to whole audiences
at once (vectorised). Every send first checks the profile's consent for the
channel, the opt-out list and hard-bounce suppression; a recipient who
unsubscribes loses that channel's consent at once, so no later message reaches
them there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import simpy

from sim.scenario import MESSAGE_CHANNELS, Scenario

__all__ = ["INBOUND", "JOURNEYS", "Messenger"]

JOURNEYS = ("welcome", "thank_you", "birthday", "repair_update", "win_back")
# Customer-initiated triggers (their own registration, purchase, repair).
INBOUND = frozenset({"welcome", "thank_you", "repair_update"})
# Variant B of an A/B-tested newsletter has a better subject line: +15 % opens.
AB_LIFT = 1.15


class Messenger:
    """Sends messages, enforces consent, and records every send with its outcome."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, rng: np.random.Generator,
                 consent: dict[str, np.ndarray], opt_out: np.ndarray, email_typo: np.ndarray,
                 birth_doy: np.ndarray) -> None:
        self.env = env
        self.cfg = scenario.campaigns
        self.rng = rng
        self.consent = consent  # channel -> bool array per profile (mutated on unsubscribe)
        self.opt_out = opt_out
        self.email_typo = email_typo
        self.suppressed = np.zeros_like(opt_out)  # hard-bounced e-mail addresses
        self.registered = np.zeros_like(opt_out)
        self.last_purchase = np.full(len(opt_out), -np.inf)
        self.birth_doy = birth_doy
        self.horizon = scenario.horizon_days
        self.start = pd.Timestamp(scenario.population.start_date)
        # Triggered journeys: one campaign per journey and channel, ids 1..15.
        self.campaign_rows: list[dict] = []
        self.journey_campaign: dict[tuple[str, str], int] = {}
        for journey in JOURNEYS:
            for ch in MESSAGE_CHANNELS:
                cid = len(self.campaign_rows) + 1
                self.journey_campaign[(journey, ch)] = cid
                self.campaign_rows.append(
                    dict(campaign_id=cid, name=f"{journey.replace('_', ' ').title()} ({ch})",
                         campaign_type=journey, channel=ch,
                         direction="inbound" if journey in INBOUND else "outbound",
                         variant="-", start_date=0.0)
                )
        self._single: list[tuple] = []  # (campaign, profile, time, channel, type, bounce, o, c, u)
        self._batches: list[dict[str, np.ndarray]] = []

    # ------------------------------------------------------------------ consent
    def can_reach(self, profile: int, channel: str) -> bool:
        """True if the profile may receive marketing on ``channel`` right now."""
        if self.opt_out[profile] or not self.consent[channel][profile]:
            return False
        return not (channel == "email" and self.suppressed[profile])

    def preferred_channel(self, profile: int) -> str | None:
        """E-mail, else SMS, else social: the first channel the profile allows."""
        for ch in MESSAGE_CHANNELS:
            if self.can_reach(profile, ch):
                return ch
        return None

    # ------------------------------------------------------------------ sends
    def _rates(self, channel: str, message_type: str) -> tuple[float, float, float]:
        cfg = self.cfg
        boost = cfg.inbound_response_boost if message_type in INBOUND else 1.0
        open_p = min(1.0, cfg.open_rate[channel] * boost)
        click_p = min(1.0, cfg.click_rate[channel] * boost)
        fatigue = 1.0 + cfg.fatigue * max(cfg.newsletters_per_month - 1.0, 0.0)
        unsub = cfg.unsubscribe_rate * (fatigue if message_type == "newsletter" else 0.5)
        return open_p, click_p, min(unsub, 1.0)

    def send(self, profile: int, message_type: str, when: float | None = None) -> dict | None:
        """Send one triggered message on the profile's preferred channel, if any.

        Returns the outcome (``bounce``, ``opened``, ``clicked``, ``unsubscribed``)
        or ``None`` when no channel is allowed (nothing is sent).
        """
        if message_type not in self.cfg.triggered:
            return None
        channel = self.preferred_channel(profile)
        if channel is None:
            return None
        when = self.env.now if when is None else when
        u = self.rng.random(4)
        bounce = self._bounce(channel, self.email_typo[profile], u[0])
        open_p, click_p, unsub_p = self._rates(channel, message_type)
        delivered = bounce == "none"
        opened = delivered and u[1] < open_p
        clicked = opened and u[2] < click_p
        unsub = delivered and u[3] < unsub_p
        self._apply(profile, channel, bounce, unsub)
        cid = self.journey_campaign[(message_type, channel)]
        self._single.append((cid, profile, when, channel, message_type, bounce, opened, clicked, unsub))
        return {"bounce": bounce, "opened": opened, "clicked": clicked, "unsubscribed": unsub}

    def _bounce(self, channel: str, typo: bool, u: float) -> str:
        if channel == "email" and typo:
            return "hard"
        if u < self.cfg.hard_bounce:
            return "hard"
        if u < self.cfg.hard_bounce + self.cfg.soft_bounce:
            return "soft"
        return "none"

    def _apply(self, profile, channel: str, bounce, unsub) -> None:
        if channel == "email":
            self.suppressed[profile] |= np.asarray(bounce) == "hard"
        self.consent[channel][profile] &= ~np.asarray(unsub)

    def broadcast(self, profiles: np.ndarray, channel: str, message_type: str,
                  campaign_id: int, when: np.ndarray, open_lift: float = 1.0) -> None:
        """Send one message to each of ``profiles`` (already filtered for consent)."""
        n = len(profiles)
        if n == 0:
            return
        u = self.rng.random((n, 4))
        typo = self.email_typo[profiles] & (channel == "email")
        hard = typo | (u[:, 0] < self.cfg.hard_bounce)
        soft = ~hard & (u[:, 0] < self.cfg.hard_bounce + self.cfg.soft_bounce)
        bounce = np.where(hard, "hard", np.where(soft, "soft", "none"))
        open_p, click_p, unsub_p = self._rates(channel, message_type)
        delivered = ~hard & ~soft
        opened = delivered & (u[:, 1] < min(1.0, open_p * open_lift))
        clicked = opened & (u[:, 2] < click_p)
        unsub = delivered & (u[:, 3] < unsub_p)
        self._apply(profiles, channel, bounce, unsub)
        self._batches.append(dict(
            campaign_id=np.full(n, campaign_id), customer=profiles, sent_at=when,
            channel=np.full(n, channel), message_type=np.full(n, message_type), bounce=bounce,
            opened=opened, clicked=clicked, unsubscribed=unsub,
        ))

    def audience(self, channel: str, engaged_days: float | None) -> np.ndarray:
        """Profiles reachable on ``channel`` (optionally: bought within ``engaged_days``)."""
        ok = self.registered & ~self.opt_out & self.consent[channel]
        if channel == "email":
            ok &= ~self.suppressed
        if engaged_days is not None:
            ok &= self.last_purchase >= self.env.now - engaged_days
        return np.flatnonzero(ok)

    # ------------------------------------------------------------------ processes
    def newsletters(self, rng: np.random.Generator):
        """SimPy process: newsletters at a steady rhythm to the engaged, consenting base."""
        cfg = self.cfg
        if cfg.newsletters_per_month <= 0:
            return
        gap = 30.4375 / cfg.newsletters_per_month
        channels = list(cfg.newsletter_channel_mix)
        weights = np.array([cfg.newsletter_channel_mix[c] for c in channels])
        number = 0
        while True:
            yield self.env.timeout(gap)
            if self.env.now >= self.horizon:
                return
            number += 1
            channel = channels[rng.choice(len(channels), p=weights / weights.sum())]
            people = self.audience(channel, engaged_days=self.cfg.lapsed_days)
            month = (self.start + pd.Timedelta(days=self.env.now)).strftime("%Y-%m")
            name = f"Newsletter {month} #{number} ({channel})"
            when = np.full(len(people), self.env.now)
            if rng.random() < cfg.ab_test_share and len(people) >= 2:
                is_b = rng.random(len(people)) < 0.5
                for variant, members, lift in (("A", ~is_b, 1.0), ("B", is_b, AB_LIFT)):
                    cid = self._new_campaign(f"{name} {variant}", "newsletter", channel, variant)
                    self.broadcast(people[members], channel, "newsletter", cid, when[members], lift)
            else:
                cid = self._new_campaign(name, "newsletter", channel, "-")
                self.broadcast(people, channel, "newsletter", cid, when)

    def birthdays(self):
        """SimPy process: on each month's first day, schedule that month's birthday greetings."""
        if "birthday" not in self.cfg.triggered:
            return
        day = 0.0
        while day < self.horizon:
            date = self.start + pd.Timedelta(days=day)
            month_end = date + pd.offsets.MonthBegin(1)
            days_in = (month_end - date).days
            doy0 = date.dayofyear - 1
            for ch in MESSAGE_CHANNELS:
                people = self.audience(ch, engaged_days=None)
                # A profile is greeted on one channel only: its first allowed one.
                for earlier in MESSAGE_CHANNELS[: MESSAGE_CHANNELS.index(ch)]:
                    people = people[~self._reachable(people, earlier)]
                offset = (self.birth_doy[people] - doy0) % 366
                hit = offset < days_in
                when = day + offset[hit]
                keep = when < self.horizon
                self.broadcast(people[hit][keep], ch, "birthday",
                               self.journey_campaign[("birthday", ch)], when[keep])
            yield self.env.timeout(days_in)
            day += days_in

    def _reachable(self, profiles: np.ndarray, channel: str) -> np.ndarray:
        ok = ~self.opt_out[profiles] & self.consent[channel][profiles]
        if channel == "email":
            ok &= ~self.suppressed[profiles]
        return ok

    def _new_campaign(self, name: str, kind: str, channel: str, variant: str) -> int:
        cid = len(self.campaign_rows) + 1
        self.campaign_rows.append(dict(
            campaign_id=cid, name=name, campaign_type=kind, channel=channel,
            direction="outbound", variant=variant, start_date=self.env.now,
        ))
        return cid

    # ------------------------------------------------------------------ tables
    def tables(self, profile_ids: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The messages and campaigns tables (times still in days from start)."""
        cols = ["campaign_id", "customer", "sent_at", "channel", "message_type", "bounce",
                "opened", "clicked", "unsubscribed"]
        parts = [pd.DataFrame(b, columns=cols) for b in self._batches]
        if self._single:
            parts.append(pd.DataFrame(self._single, columns=cols))
        msgs = (pd.concat(parts, ignore_index=True) if parts
                else pd.DataFrame({c: [] for c in cols}))
        msgs = msgs.astype({"campaign_id": "int64", "customer": "int64", "sent_at": "float64",
                            "opened": bool, "clicked": bool, "unsubscribed": bool})
        msgs["customer_id"] = profile_ids[msgs.pop("customer").to_numpy()]
        msgs = msgs.sort_values(["sent_at", "campaign_id", "customer_id"], kind="stable")
        msgs = msgs.reset_index(drop=True)
        msgs.insert(0, "message_id", np.arange(1, len(msgs) + 1))
        msgs["delivered"] = msgs["bounce"] == "none"
        camps = pd.DataFrame(self.campaign_rows)
        cost_per = msgs["channel"].map(self.cfg.cost_per_message).astype(float)
        cost = cost_per.groupby(msgs["campaign_id"]).sum()
        camps["cost"] = camps["campaign_id"].map(cost).fillna(0.0)
        first = msgs.groupby("campaign_id")["sent_at"].min()
        camps["start_date"] = camps["campaign_id"].map(first).fillna(camps["start_date"])
        return msgs, camps
