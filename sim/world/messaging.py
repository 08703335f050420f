"""Marketing automation: newsletters and triggered journeys, with consent always respected.

The :class:`Messenger` owns the consent state of every profile. It sends
triggered messages one at a time (welcome, thank-you, repair updates,
win-back) and broadcast newsletters and birthday greetings to whole audiences
at once (vectorised). Every send first checks the profile's consent for the
channel, the opt-out list and hard-bounce suppression; a recipient who
unsubscribes loses that channel's consent at once, so no later message reaches
them there.

A share of messages is personalised (``campaigns.personalisation``): a
relevant message is opened and clicked more, and unsubscribed from and
reported as spam less. How a recipient answers also depends on their
relationship with the brand (the state's response multiplier), and clicks
(positive) and complaints or unsubscribes (negative) are impressions the
world collects daily (:meth:`Messenger.take_impressions`). Top clients, whom
advisors look after, get no mass newsletters.

Every message's six draws (bounce, open, click, unsubscribe, relevant, spam
complaint) are keyed by the message itself — its journey, its recipient profile and its occasion (the
purchase thanked, the repair update, the day, the newsletter's number) — and
so are a newsletter's channel, whether it is A/B-tested and each recipient's
variant. A message therefore turns out the same whatever else the brand sends
or however many customers it has (common random numbers).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import simpy

from sim.scenario import Scenario
from sim.vocab import BOUNCES, INBOUND, JOURNEYS, MESSAGE_CHANNELS
from sim.world.eventlog import EventLog
from sim.world.seeding import uniform_row, uniforms

__all__ = ["Messenger"]

# Variant B of an A/B-tested newsletter has a better subject line: +15 % opens.
AB_LIFT = 1.15
# First allowed channel for each bit pattern of reachable channels.
_FIRST_CHANNEL = [
    next((ch for b, ch in enumerate(MESSAGE_CHANNELS) if mask >> b & 1), None)
    for mask in range(1 << len(MESSAGE_CHANNELS))
]


class Messenger:
    """Sends messages, enforces consent, and records every send with its outcome."""

    DRAWS = 6  # bounce, open, click, unsubscribe, relevant, spam complaint

    def __init__(self, env: simpy.Environment, scenario: Scenario, seed: int) -> None:
        self.env = env
        self.cfg = scenario.campaigns
        self.seed = seed
        n = 0
        self.n_profiles = 0
        # A profile's stable identity for keyed draws (its index is not: people
        # are numbered as they join).
        self.profile_key = np.zeros(n, dtype=np.int64)
        self._key: list[int] = []
        self.consent = {ch: np.zeros(n, dtype=bool) for ch in MESSAGE_CHANNELS}
        self.opt_out = np.zeros(n, dtype=bool)
        self.email_typo = np.zeros(n, dtype=bool)
        self.suppressed = np.zeros(n, dtype=bool)  # hard-bounced e-mail addresses
        self.registered = np.zeros(n, dtype=bool)
        self.top = np.zeros(n, dtype=bool)  # looked after by an advisor: no newsletters
        self.response = np.zeros(n)  # the relationship's response multiplier
        self.last_purchase = np.full(n, -np.inf)
        self.birth_doy = np.zeros(n, dtype=np.int64)
        # Fast path for one-at-a-time sends: a bit per reachable channel
        # (consent, not opted out, not suppressed), kept in a Python list
        # because scalar numpy access dominates the cost of a single send.
        self._reach: list[int] = []
        self._typo: list[bool] = []
        self._rate_cache: dict[tuple[str, str], tuple[float, float, float]] = {}
        self.horizon = scenario.horizon_days
        self.start = pd.Timestamp(scenario.population.start_date)
        self.personalise = self.cfg.personalisation > 0
        # Triggered journeys: one campaign per journey and channel, ids 1..15.
        self.campaign_rows: list[dict] = []
        self.journey_campaign: dict[tuple[str, str], int] = {}
        for journey in JOURNEYS:
            for ch in MESSAGE_CHANNELS:
                cid = len(self.campaign_rows) + 1
                self.journey_campaign[(journey, ch)] = cid
                self.campaign_rows.append(
                    dict(
                        campaign_id=cid,
                        name=f"{journey.replace('_', ' ').title()} ({ch})",
                        campaign_type=journey,
                        channel=ch,
                        direction="inbound" if journey in INBOUND else "outbound",
                        variant="-",
                        start_date=0.0,
                    )
                )
        self._single = EventLog(
            campaign_id="q", customer="q", sent_at="d", bounce="b",
            opened="b", clicked="b", unsubscribed="b", relevant="b", spam="b",
        )  # fmt: skip
        self._batches: list[dict[str, np.ndarray]] = []
        self._impressions: list[tuple[np.ndarray, np.ndarray]] = []
        self._single_imp: list[tuple[int, int]] = []
        self._birthday_groups: list[list[np.ndarray]] = [[] for _ in range(366)]

    # Per-profile arrays and the value a new profile starts with. They are
    # allocated with room to spare (doubling), so weekly batches of new
    # profiles do not copy everything each time; slots past ``n_profiles``
    # are never registered, so no audience includes them.
    _PROFILE_ARRAYS = {
        "profile_key": (np.int64, 0), "opt_out": (bool, False), "email_typo": (bool, False),
        "suppressed": (bool, False), "registered": (bool, False), "top": (bool, False),
        "response": (float, 1.0), "last_purchase": (float, -np.inf), "birth_doy": (np.int64, -1),
    }  # fmt: skip

    def _room_for(self, m: int) -> None:
        need = self.n_profiles + m
        if need <= len(self.opt_out):
            return
        cap = max(need, 2 * len(self.opt_out), 1024)

        def grown(old: np.ndarray, dtype, fill) -> np.ndarray:
            new = np.full(cap, fill, dtype=dtype)
            new[: len(old)] = old
            return new

        for name, (dtype, fill) in self._PROFILE_ARRAYS.items():
            setattr(self, name, grown(getattr(self, name), dtype, fill))
        for ch in MESSAGE_CHANNELS:
            self.consent[ch] = grown(self.consent[ch], bool, False)

    def add_profiles(
        self,
        consent: dict[str, np.ndarray],
        opt_out: np.ndarray,
        email_typo: np.ndarray,
        birth_doy: np.ndarray,
        profile_key: np.ndarray,
    ) -> None:
        """Make room for new profiles (not registered until their person arrives)."""
        m = len(opt_out)
        self._room_for(m)
        a, b = self.n_profiles, self.n_profiles + m
        self.profile_key[a:b] = profile_key
        self._key.extend(profile_key.tolist())
        for ch in MESSAGE_CHANNELS:
            self.consent[ch][a:b] = consent[ch]
        self.opt_out[a:b] = opt_out
        self.email_typo[a:b] = email_typo
        self.birth_doy[a:b] = birth_doy
        self.n_profiles = b
        reach = np.zeros(m, dtype=np.int64)
        for bit, ch in enumerate(MESSAGE_CHANNELS):
            reach |= consent[ch].astype(np.int64) << bit
        reach[opt_out] = 0
        self._reach.extend(reach.tolist())
        self._typo.extend(email_typo.tolist())
        # The new profiles joined to their birthday's group (0 = 1 January).
        order = np.argsort(birth_doy, kind="stable")
        bounds = np.searchsorted(birth_doy[order], np.arange(367))
        for doy in range(366):
            lo, hi = bounds[doy], bounds[doy + 1]
            if hi > lo:
                self._birthday_groups[doy].append(a + order[lo:hi])

    def take_impressions(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The impressions messages left since the last call: profiles and kinds (0 pos, 2 neg)."""
        parts = self._impressions
        if self._single_imp:
            arr = np.array(self._single_imp, dtype=np.int64)
            parts.append((arr[:, 0], arr[:, 1]))
        self._impressions, self._single_imp = [], []
        if not parts:
            return None
        return np.concatenate([p for p, _ in parts]), np.concatenate([k for _, k in parts])

    # ------------------------------------------------------------------ consent
    def can_reach(self, profile: int, channel: str) -> bool:
        """True if the profile may receive marketing on ``channel`` right now."""
        return bool(self._reach[profile] >> MESSAGE_CHANNELS.index(channel) & 1)

    def preferred_channel(self, profile: int) -> str | None:
        """E-mail, else SMS, else social: the first channel the profile allows."""
        return _FIRST_CHANNEL[self._reach[profile]]

    def draws(self, profiles, message_type: str, occasion) -> np.ndarray:
        """The ``(…, 6)`` uniforms (bounce, open, click, unsubscribe, relevant, spam) of messages.

        A message is keyed by its journey, its profile and its ``occasion``
        (an integer unique among that profile's messages of the journey), so
        the same message gets the same draws in any run with the same seed.
        """
        keys = self.profile_key[np.asarray(profiles)]
        # Occasions may be large keys: the slot arithmetic wraps modulo 2**64,
        # as the pure-Python draws in send() do.
        occ = np.asarray(occasion).astype(np.int64).astype(np.uint64)
        slots = np.uint64(self.DRAWS) * occ[..., None] + np.arange(self.DRAWS, dtype=np.uint64)
        return uniforms(self.seed, f"message:{message_type}", keys[..., None], slots)

    # ------------------------------------------------------------------ sends
    def _rates(self, channel: str, message_type: str) -> tuple[float, float, float]:
        key = (channel, message_type)
        if key not in self._rate_cache:
            self._rate_cache[key] = self._compute_rates(channel, message_type)
        return self._rate_cache[key]

    def _compute_rates(self, channel: str, message_type: str) -> tuple[float, float, float]:
        cfg = self.cfg
        boost = cfg.inbound_response_boost if message_type in INBOUND else 1.0
        open_p = min(1.0, cfg.open_rate[channel] * boost)
        click_p = min(1.0, cfg.click_rate[channel] * boost)
        fatigue = 1.0 + cfg.fatigue * max(cfg.newsletters_per_month - 1.0, 0.0)
        unsub = cfg.unsubscribe_rate * (fatigue if message_type == "newsletter" else 0.5)
        return open_p, click_p, min(unsub, 1.0)

    def send(
        self,
        profile: int,
        message_type: str,
        occasion: int,
        drawn: np.ndarray | None = None,
        when: float | None = None,
    ) -> dict | None:
        """Send one triggered message on the profile's preferred channel, if any.

        ``occasion`` keys the message among the profile's messages of this
        journey (see :meth:`draws`); ``drawn`` may hold its four draws when
        they were taken ahead, vectorised, with :meth:`draws`. Returns the
        outcome (``bounce``, ``opened``, ``clicked``, ``unsubscribed``) or
        ``None`` when no channel is allowed (nothing is sent).
        """
        cfg = self.cfg
        if message_type not in cfg.triggered:
            return None
        channel = _FIRST_CHANNEL[self._reach[profile]]  # preferred_channel(), inlined
        if channel is None:
            return None
        when = self.env.now if when is None else when
        if drawn is not None:
            u = drawn.tolist()
        else:
            # Pure-Python keyed draws: the same numbers as draws(), without
            # numpy's per-call overhead on this hot path.
            d = self.DRAWS
            u = uniform_row(
                self.seed, f"message:{message_type}", self._key[profile], d, d * occasion
            )
        # _bounce(), inlined: a typo'd e-mail address bounces hard.
        u0 = u[0]
        if (channel == "email" and self._typo[profile]) or u0 < cfg.hard_bounce:
            bounce = 2
        elif u0 < cfg.hard_bounce + cfg.soft_bounce:
            bounce = 1
        else:
            bounce = 0
        rates = self._rate_cache.get((channel, message_type))
        if rates is None:
            rates = self._rates(channel, message_type)
        open_p, click_p, unsub_p = rates
        relevant = u[4] < cfg.personalisation
        resp = float(self.response[profile])
        spam_p = cfg.spam_complaint_rate
        if relevant:
            open_p *= cfg.relevance_open_lift
            click_p *= cfg.relevance_click_lift
            unsub_p *= cfg.relevance_complaint_cut
            spam_p *= cfg.relevance_complaint_cut
        delivered = bounce == 0
        opened = delivered and u[1] < min(1.0, open_p * resp)
        clicked = opened and u[2] < min(1.0, click_p * resp)
        unsub = delivered and u[3] < unsub_p
        spam = delivered and u[5] < spam_p
        if bounce == 2 or unsub or spam:
            self._apply(profile, channel, BOUNCES[bounce], unsub or spam)
        if clicked or unsub or spam:
            self._single_imp.append((profile, 2 if (unsub or spam) else 0))
        cid = self.journey_campaign[(message_type, channel)]
        self._single.append(cid, profile, when, bounce, opened, clicked, unsub, relevant, spam)
        return {
            "bounce": BOUNCES[bounce], "opened": opened, "clicked": clicked, "unsubscribed": unsub
        }  # fmt: skip

    def _bounce(self, channel: str, typo: bool, u: float) -> str:
        if channel == "email" and typo:
            return "hard"
        if u < self.cfg.hard_bounce:
            return "hard"
        if u < self.cfg.hard_bounce + self.cfg.soft_bounce:
            return "soft"
        return "none"

    def _apply(self, profile, channel: str, bounce, unsub) -> None:
        lost = np.asarray(unsub).copy()
        if channel == "email":
            hard = np.asarray(bounce) == "hard"
            self.suppressed[profile] |= hard
            lost |= hard
        self.consent[channel][profile] &= ~np.asarray(unsub)
        bit = 1 << MESSAGE_CHANNELS.index(channel)
        for k in np.atleast_1d(np.asarray(profile))[np.atleast_1d(lost)].tolist():
            self._reach[k] &= ~bit

    def broadcast(
        self,
        profiles: np.ndarray,
        channel: str,
        message_type: str,
        campaign_id: int,
        when: np.ndarray,
        occasion: int,
        open_lift: float = 1.0,
        drawn: np.ndarray | None = None,
    ) -> None:
        """Send one message to each of ``profiles`` (already filtered for consent).

        ``occasion`` keys this send among each profile's messages of the
        journey (the newsletter's number, the day of a greeting); ``drawn``
        may hold the messages' :meth:`draws` when they were taken already.
        """
        n = len(profiles)
        if n == 0:
            return
        u = self.draws(profiles, message_type, occasion) if drawn is None else drawn
        cfg = self.cfg
        typo = self.email_typo[profiles] & (channel == "email")
        hard = typo | (u[:, 0] < cfg.hard_bounce)
        soft = ~hard & (u[:, 0] < cfg.hard_bounce + cfg.soft_bounce)
        bounce = np.where(hard, "hard", np.where(soft, "soft", "none"))
        open_p, click_p, unsub_p = self._rates(channel, message_type)
        relevant = u[:, 4] < cfg.personalisation
        resp = self.response[profiles]
        delivered = ~hard & ~soft
        open_r = np.where(relevant, open_p * cfg.relevance_open_lift, open_p) * open_lift * resp
        click_r = np.where(relevant, click_p * cfg.relevance_click_lift, click_p) * resp
        cut = np.where(relevant, cfg.relevance_complaint_cut, 1.0)
        opened = delivered & (u[:, 1] < np.minimum(open_r, 1.0))
        clicked = opened & (u[:, 2] < np.minimum(click_r, 1.0))
        unsub = delivered & (u[:, 3] < unsub_p * cut)
        spam = delivered & (u[:, 5] < cfg.spam_complaint_rate * cut)
        self._apply(profiles, channel, bounce, unsub | spam)
        moved = clicked | unsub | spam
        if moved.any():
            self._impressions.append(
                (profiles[moved], np.where((unsub | spam)[moved], 2, 0).astype(np.int64))
            )
        self._batches.append(
            dict(
                campaign_id=np.full(n, campaign_id),
                customer=profiles,
                sent_at=when,
                bounce=np.where(hard, 2, np.where(soft, 1, 0)),
                opened=opened,
                clicked=clicked,
                unsubscribed=unsub,
                relevant=relevant,
                spam=spam,
            )
        )

    def audience(self, channel: str, engaged_days: float | None) -> np.ndarray:
        """Profiles reachable on ``channel`` (optionally: bought within ``engaged_days``)."""
        ok = self.registered & self._reachable_mask(channel) & ~self.top
        if engaged_days is not None:
            ok &= self.last_purchase >= self.env.now - engaged_days
        return np.flatnonzero(ok)

    # ------------------------------------------------------------------ processes
    def newsletters(self):
        """SimPy process: newsletters at a steady rhythm to the engaged, consenting base.

        Newsletter ``number``'s channel and A/B decision are keyed by the
        number, each recipient's variant by (profile, number): a bigger base
        gets the same newsletters and splits its old members the same way.
        """
        cfg = self.cfg
        if cfg.newsletters_per_month <= 0:
            return
        gap = 30.4375 / cfg.newsletters_per_month
        channels = list(cfg.newsletter_channel_mix)
        weights = np.array([cfg.newsletter_channel_mix[c] for c in channels])
        cum = np.cumsum(weights / weights.sum()).tolist()
        number = 0
        send = 0.0
        while True:
            # Newsletters leave at 10 a.m. on their day.
            send += gap
            yield self.env.timeout(math.floor(send) + 10.0 / 24 - self.env.now)
            if self.env.now >= self.horizon:
                return
            number += 1
            u_channel, u_ab = uniform_row(self.seed, "newsletter", number, 2)
            pick = min(sum(c <= u_channel for c in cum), len(channels) - 1)
            channel = channels[pick]
            people = self.audience(channel, engaged_days=self.cfg.lapsed_days)
            month = (self.start + pd.Timedelta(days=self.env.now)).strftime("%Y-%m")
            name = f"Newsletter {month} #{number} ({channel})"
            when = np.full(len(people), self.env.now)
            # The A/B decision is the newsletter's own, whatever the audience's
            # size: every market's shard makes the same campaigns.
            if u_ab < cfg.ab_test_share:
                u_variant = uniforms(
                    self.seed, "newsletter-variant", self.profile_key[people], number
                )
                is_b = u_variant < 0.5
                for variant, members, lift in (("A", ~is_b, 1.0), ("B", is_b, AB_LIFT)):
                    cid = self._new_campaign(f"{name} {variant}", "newsletter", channel, variant)
                    self.broadcast(
                        people[members], channel, "newsletter", cid, when[members], number, lift
                    )
            else:
                cid = self._new_campaign(name, "newsletter", channel, "-")
                self.broadcast(people, channel, "newsletter", cid, when, number)

    def birthdays(self):
        """SimPy process: each morning, greet the customers whose birthday it is."""
        if "birthday" not in self.cfg.triggered:
            return
        yield self.env.timeout(8.0 / 24)  # greetings go out at 8 a.m.
        days = int(math.ceil(self.horizon))
        doys = (pd.date_range(self.start, periods=days, freq="D").day_of_year - 1).to_numpy()
        day = 0
        while day < self.horizon:
            doy = int(doys[day])
            group = self._birthday_groups[doy]
            people = np.concatenate(group) if group else np.zeros(0, dtype=np.int64)
            people = people[self.registered[people] & ~self.top[people]]
            sent = np.zeros(len(people), dtype=bool)
            # One greeting a day at most: the day keys it, whatever its channel.
            drawn = self.draws(people, "birthday", day)
            # A profile is greeted once, on its first allowed channel.
            for ch in MESSAGE_CHANNELS:
                take = ~sent & self._reachable(people, ch)
                self.broadcast(
                    people[take],
                    ch,
                    "birthday",
                    self.journey_campaign[("birthday", ch)],
                    np.full(int(take.sum()), self.env.now),
                    day,
                    drawn=drawn[take],
                )
                sent |= take
            yield self.env.timeout(1.0)
            day += 1

    def _reachable_mask(self, channel: str) -> np.ndarray:
        ok = ~self.opt_out & self.consent[channel]
        if channel == "email":
            ok &= ~self.suppressed
        return ok

    def _reachable(self, profiles: np.ndarray, channel: str) -> np.ndarray:
        # Only the profiles asked about: the daily birthday greetings would
        # otherwise build the mask of every profile three times a day.
        ok = ~self.opt_out[profiles] & self.consent[channel][profiles]
        if channel == "email":
            ok &= ~self.suppressed[profiles]
        return ok

    def _new_campaign(self, name: str, kind: str, channel: str, variant: str) -> int:
        cid = len(self.campaign_rows) + 1
        self.campaign_rows.append(
            dict(
                campaign_id=cid,
                name=name,
                campaign_type=kind,
                channel=channel,
                direction="outbound",
                variant=variant,
                start_date=self.env.now,
            )
        )
        return cid

    # ------------------------------------------------------------------ tables
    def tables(self, profile_ids: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The messages and campaigns tables (times still in days from start)."""
        cols = [
            "campaign_id", "customer", "sent_at", "bounce", "opened", "clicked", "unsubscribed",
            "relevant", "spam",
        ]  # fmt: skip
        dtypes = [np.int64, np.int64, np.float64, np.int64, bool, bool, bool, bool, bool]
        single = self._single.to_numpy()
        data = {
            c: np.concatenate(
                [np.asarray(b[c], dtype=t) for b in self._batches] + [single[c].astype(t)]
            )
            for c, t in zip(cols, dtypes, strict=True)
        }
        order = np.lexsort((profile_ids[data["customer"]], data["campaign_id"], data["sent_at"]))
        data = {c: v[order] for c, v in data.items()}
        camps = pd.DataFrame(self.campaign_rows)
        # A campaign has one channel and one type: messages inherit them.
        lookup = {
            c: np.concatenate([[""], camps[c].to_numpy(dtype=object)])
            for c in ("channel", "campaign_type")
        }
        cid = data["campaign_id"]
        msgs = pd.DataFrame(
            {
                "message_id": np.arange(1, len(cid) + 1),
                "campaign_id": cid,
                "customer_id": profile_ids[data["customer"]],
                "sent_at": data["sent_at"],
                "channel": lookup["channel"][cid],
                "message_type": lookup["campaign_type"][cid],
                "bounce": np.asarray(BOUNCES, dtype=object)[data["bounce"]],
                "delivered": data["bounce"] == 0,
                "opened": data["opened"],
                "clicked": data["clicked"],
                "unsubscribed": data["unsubscribed"],
                "spam_complaint": data["spam"],
                "personalised": data["relevant"],
            }
        )
        sends = np.bincount(cid, minlength=len(camps) + 1)[1:]
        unit = camps["channel"].map(self.cfg.cost_per_message).to_numpy(dtype=float)
        camps["cost"] = sends * unit
        first = np.full(len(camps) + 1, np.inf)
        np.minimum.at(first, cid, data["sent_at"])
        camps["start_date"] = np.where(np.isfinite(first[1:]), first[1:], camps["start_date"])
        return msgs, camps
