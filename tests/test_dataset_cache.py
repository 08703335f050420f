"""The cross-process dataset cache: used when asked, never while grading."""

from __future__ import annotations

import sim
from sim import compose
from sim.course import checker


def test_grading_constant_is_the_checkers():
    assert compose.GRADING_ENV == checker.GRADING_ENV


def test_cache_is_read_when_set_and_ignored_while_grading(tmp_path, monkeypatch):
    sc = sim.preset("default").with_overrides({"population": {"customers": 60, "years": 0.5}})
    other = sc.with_overrides({"population": {"customers": 30}})
    monkeypatch.setenv(compose.CACHE_ENV, str(tmp_path))
    monkeypatch.delenv(compose.GRADING_ENV, raising=False)
    # Plant another run's data where this scenario's entry would be.
    folder = compose._cache_folder(str(tmp_path), sc, 3)
    sim.simulate(other, seed=3).save(folder)
    planted = compose.cached_on_disk(sc, 3)
    assert len(planted.truth) == len(sim.load(folder).truth)  # read from the cache
    monkeypatch.setenv(compose.GRADING_ENV, "1")
    fresh = compose.cached_on_disk(sc, 3)
    assert len(fresh.truth) != len(planted.truth)  # simulated: the planted entry is not used
    assert fresh.truth.equals(sim.simulate(sc, seed=3).truth)
