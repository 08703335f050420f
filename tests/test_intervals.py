"""The interval helpers against hand-computed values and their coverage on seeded draws."""

import math

import numpy as np
import pytest

from sim.analytics import intervals


def test_wilson_matches_the_textbook_case():
    # Newcombe (1998), Table I: 81/263 -> 0.2553 .. 0.3662 at 95 %
    r = intervals.wilson_interval(81, 263)
    assert r["low"] == pytest.approx(0.2553, abs=5e-4)
    assert r["high"] == pytest.approx(0.3662, abs=5e-4)
    zero = intervals.wilson_interval(0, 10)
    assert zero["low"] == 0.0 and zero["high"] == pytest.approx(0.2775, abs=5e-4)


def test_mean_interval_is_student_t():
    r = intervals.mean_interval([2.0, 4.0, 6.0])
    # mean 4, s = 2, se = 2/sqrt(3), t_{0.975,2} = 4.3027
    assert r["se"] == pytest.approx(2 / math.sqrt(3))
    assert r["high"] - r["estimate"] == pytest.approx(4.302653 * 2 / math.sqrt(3), rel=1e-5)
    assert math.isnan(intervals.mean_interval([1.0])["low"])


def test_paired_interval_removes_shared_noise():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 10, 8)
    base, variant = 100 + noise, 101 + noise + rng.normal(0, 0.1, 8)
    r = intervals.paired_interval(variant, base)
    assert r["low"] > 0 and not r["within_noise"]
    assert intervals.paired_interval(base, base + rng.normal(0, 1, 8))["within_noise"]
    with pytest.raises(ValueError, match="same replications"):
        intervals.paired_interval([1, 2], [1, 2, 3])


def test_nps_is_promoters_minus_detractors():
    r = intervals.nps_interval([10, 9, 8, 3] * 25)
    assert r["estimate"] == pytest.approx(25.0)  # 50 % promoters - 25 % detractors
    # variance (p + d - (p-d)^2)/n = (0.75 - 0.0625)/100
    half = 100 * 1.959964 * math.sqrt(0.6875 / 100)
    assert r["high"] - r["estimate"] == pytest.approx(half, rel=1e-5)
    assert intervals.nps_interval([10, 10, 3])["high"] == 100.0  # clipped to the scale
    with pytest.raises(ValueError, match="between 0 and 10"):
        intervals.nps_interval([11])


def test_wilson_and_bootstrap_cover_about_as_promised():
    # 400 seeded samples of a share of 0.1 with n = 40: the 90 % Wilson interval covers
    # the true share 85-97 % of the time (binomial coverage oscillates with n); the bootstrap interval of a mean about 80-95 %.
    rng = np.random.default_rng(42)
    hits = [
        (lambda r: r["low"] <= 0.1 <= r["high"])(
            intervals.wilson_interval(int(rng.binomial(40, 0.1)), 40, level=0.9)
        )
        for _ in range(400)
    ]
    assert 0.85 <= np.mean(hits) <= 0.97
    boot = [
        (lambda r: r["low"] <= 1.0 <= r["high"])(
            intervals.bootstrap_interval(
                rng.exponential(1.0, 60), np.mean, replications=100, level=0.9, seed=k
            )
        )
        for k in range(100)
    ]
    assert 0.80 <= np.mean(boot) <= 0.95
