"""Classroom CLV formulas: the lecture example and hand-computed retention sums."""

import math

import pytest

from sim.analytics import clv


def test_lecture_example_average_approach():
    # A profile worth 2,020 € over 11 years: 10 purchases of 202 € in 11 years.
    value = clv.customer_value(average_purchase_value=202.0, purchase_frequency=10 / 11)
    assert round(value, 2) == 183.64
    lifetime = clv.customer_lifetime_value(202.0, 10 / 11, average_lifespan=10)
    assert round(lifetime) == 1836
    assert lifetime == pytest.approx(10 * value)


def test_retention_clv_closed_form():
    # m r / (1 + d - r) with m = 100, r = 0.8, d = 0.1: 80 / 0.3
    assert clv.retention_clv(100, 0.8, 0.1) == pytest.approx(266.6667, abs=1e-4)
    assert clv.retention_clv(100, 0.0, 0.1) == 0.0


def test_retention_clv_finite_hand_computed():
    # t = 1..3: 100 (0.8/1.1 + 0.64/1.21 + 0.512/1.331) = 72.727 + 52.893 + 38.467
    assert clv.retention_clv_finite(100, 0.8, 0.1, periods=3) == pytest.approx(164.087, abs=1e-3)
    # t = 0..2: 100 (1 + 0.8/1.1 + 0.64/1.21) = 100 + 72.727 + 52.893
    assert clv.retention_clv_finite(100, 0.8, 0.1, 3, start=0) == pytest.approx(225.620, abs=1e-3)
    assert clv.retention_clv_finite(100, 0.8, 0.1, 0) == 0.0


def test_finite_sum_converges_to_closed_form():
    long = clv.retention_clv_finite(50, 0.9, 0.08, periods=2000)
    assert long == pytest.approx(clv.retention_clv(50, 0.9, 0.08), rel=1e-12)
    # Starting at t = 0 adds the margin earned now.
    long0 = clv.retention_clv_finite(50, 0.9, 0.08, periods=2000, start=0)
    assert long0 == pytest.approx(50 + clv.retention_clv(50, 0.9, 0.08), rel=1e-12)


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda: clv.customer_value(-1, 2), "average_purchase_value"),
        (lambda: clv.customer_value(10, math.nan), "purchase_frequency"),
        (lambda: clv.customer_lifetime_value(10, 2, -3), "average_lifespan"),
        (lambda: clv.retention_clv(100, 1.2, 0.1), "retention"),
        (lambda: clv.retention_clv(100, 0.8, -1.5), "discount_rate"),
        (lambda: clv.retention_clv(100, 1.0, 0.0), "diverges"),
        (lambda: clv.retention_clv_finite(100, 0.8, 0.1, 2.5), "periods"),
        (lambda: clv.retention_clv_finite(100, 0.8, 0.1, 3, start=2), "start"),
    ],
)
def test_bad_arguments_are_named(call, word):
    with pytest.raises(ValueError, match=word):
        call()
