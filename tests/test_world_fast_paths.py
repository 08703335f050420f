"""The world's hot-path shortcuts give what the plain code they replace gives.

The run loop inlines SimPy's ``step()``, the event logs unroll their appends,
the messenger inlines its channel and bounce rules and e-mail keys skip Unicode
folding for ASCII names: each is checked here against the plain version.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
import simpy

from sim.world.engine import CountingEnvironment
from sim.world.eventlog import EventLog
from sim.world.names import _FOLD, ascii_key, name_pools


def _schedule(env, log):
    """Processes with tied times (same time, different priorities and order) and an interrupt."""

    def ticker(name, gap, n):
        for _ in range(n):
            yield env.timeout(gap)
            log.append((env.now, name))

    def sleeper():
        try:
            yield env.timeout(10.0)
            log.append((env.now, "slept"))
        except simpy.Interrupt as why:
            log.append((env.now, f"woken:{why.cause}"))

    s = env.process(sleeper())
    env.process(ticker("a", 1.0, 6))
    env.process(ticker("b", 0.5, 12))  # ties with "a" every whole day
    env.process(ticker("c", 1.5, 4))

    def waker():
        yield env.timeout(3.0)  # ties with a, b and c at t = 3
        s.interrupt("call")
        log.append((env.now, "waker"))

    env.process(waker())


def test_the_inlined_run_loop_processes_the_same_events_in_the_same_order_as_simpy():
    plain_log, fast_log = [], []
    plain, fast = simpy.Environment(), CountingEnvironment()
    _schedule(plain, plain_log)
    _schedule(fast, fast_log)
    steps = 0
    for until in (2.0, 3.0, 4.5, 7.0):
        while plain.peek() < until:
            plain.step()
            steps += 1
        plain.run(until=until)
        fast.run(until=until)
        assert fast.now == plain.now == until
    assert fast_log == plain_log
    assert (3.0, "woken:call") in fast_log
    # Counted as the old loop counted: every event before each ``until``.
    assert fast.processed == steps


def test_an_undefused_failed_event_still_crashes_the_run():
    env = CountingEnvironment()

    def boom():
        yield env.timeout(1.0)
        raise ValueError("bad input 7")

    env.process(boom())
    with pytest.raises(ValueError, match="bad input 7"):
        env.run(until=5.0)


@pytest.mark.parametrize("width", range(1, 11))
def test_event_logs_of_every_width_keep_each_column(width):
    log = EventLog(**{f"c{k}": "q" for k in range(width)})
    rows = np.arange(4 * width).reshape(4, width)
    for row in rows.tolist():
        log.append(*row)
    assert len(log) == 4
    cols = log.to_numpy()
    for k in range(width):
        assert cols[f"c{k}"].tolist() == rows[:, k].tolist()
    # A record of the wrong width is refused (unrolled: TypeError; generic: ValueError).
    with pytest.raises((TypeError, ValueError)):
        log.append(*range(width + 1))


def _ascii_key_by_letters(name: str) -> str:
    # The definition, letter by letter (as ascii_key was written before its fast path).
    folded = unicodedata.normalize("NFKD", name.translate(_FOLD))
    return "".join(ch for ch in folded.lower() if "a" <= ch <= "z")


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "tr_TR", "pl_PL", "vi_VN", "ru_RU"])
def test_email_keys_are_the_letters_of_the_folded_name(locale):
    pools = name_pools(locale)
    for pool in (pools.first_female, pools.first_male, pools.last_female, pools.last_male):
        for name in pool.names.tolist():
            assert ascii_key(name) == _ascii_key_by_letters(name)


def test_email_keys_of_odd_names():
    cases = {
        "O'Brien-Smith": "obriensmith",
        "Müller": "muller",
        "Łukasz": "lukasz",
        "Strauß": "strauss",
        "Ｋｉｍ": "kim",  # full-width letters decompose to ASCII (NFKD)
        "Zoë 2nd": "zoend",
        "": "",
    }
    for name, key in cases.items():
        assert ascii_key(name) == key == _ascii_key_by_letters(name)
