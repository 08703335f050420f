"""Bad inputs fail with a ValueError naming the argument; the summary helper's edge cases."""

import numpy as np
import pandas as pd
import pytest

from sim.analytics import clv
from sim.analytics.clv._fitting import fit_log_params


@pytest.mark.parametrize("model", [clv.BGNBD, clv.ParetoNBD])
@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([], [], [], "frequency: empty"),
        ([1, 2], [1.0], [2.0, 3.0], "same length"),
        ([1, np.nan], [1.0, 1.0], [2.0, 3.0], "frequency: 1 missing"),
        ([1, 2], [1.0, 4.0], [2.0, 3.0], "recency: 1 value\\(s\\) larger than T"),
        ([1, -1], [1.0, 0.0], [2.0, 3.0], "frequency: expected whole numbers"),
        ([1, 1.5], [1.0, 1.0], [2.0, 3.0], "frequency: expected whole numbers"),
        ([1, 0], [1.0, -1.0], [2.0, 3.0], "recency: 1 negative"),
        ([1, 0], [1.0, 0.0], [2.0, 0.0], "T: 1 value"),
        ([1, 0], [1.0, 0.5], [2.0, 3.0], "frequency 0 but recency > 0"),
        (["1", "2"], [1.0, 1.0], [2.0, 3.0], "frequency: expected numeric"),
        ([1, 2], [1.0, 1.0], pd.Series(["a", "b"]), "T: expected numeric"),
        ([1, 2], [1.0, np.inf], [2.0, 3.0], "recency: 1 missing or infinite"),
    ],
)
def test_purchase_models_reject_bad_input(model, frequency, recency, T, message):
    with pytest.raises(ValueError, match=message):
        model().fit(frequency, recency, T)


@pytest.mark.parametrize(
    ("frequency", "monetary", "message"),
    [
        ([], [], "frequency: empty"),
        ([1, 2], [10.0, -5.0], "monetary: 1 negative"),
        ([1, 2], [10.0, np.nan], "monetary: 1 missing"),
        ([0, 0], [0.0, 0.0], "no repeat customers"),
        ([1, 2], [10.0, 0.0], "monetary: 1 repeat customer\\(s\\) with zero"),
        ([1, 2], ["a", "b"], "monetary: expected numeric"),
    ],
)
def test_gamma_gamma_rejects_bad_input(frequency, monetary, message):
    with pytest.raises(ValueError, match=message):
        clv.GammaGamma().fit(frequency, monetary)


@pytest.mark.parametrize(
    ("active", "message"),
    [
        ([], "active: empty"),
        ([100], "at least two periods"),
        ([100, 120, 90], "must not increase"),
        ([0, 0], "cohort size"),
        ([100, np.nan], "active: 1 missing"),
        ([100, -3], "whole numbers"),
    ],
)
def test_sbg_rejects_bad_input(active, message):
    with pytest.raises(ValueError, match=message):
        clv.ShiftedBetaGeometric().fit(active)


def test_unidentified_data_are_refused():
    with pytest.raises(ValueError, match="no customer churned"):
        clv.ShiftedBetaGeometric().fit([100, 100, 100, 100])
    for model in (clv.BGNBD, clv.ParetoNBD):
        with pytest.raises(ValueError, match="frequency: no repeat purchases"):
            model().fit([0] * 50, [0.0] * 50, np.linspace(1, 30, 50))


def test_optimiser_failure_raises_with_its_message():
    def broken(log_params):
        return np.nan, np.full_like(log_params, np.nan)

    with pytest.raises(clv.ConvergenceError, match="toy fit did not converge: .+"):
        fit_log_params(broken, [1.0, 2.0], ["a", "b"], "toy")


def test_unfitted_model_and_bad_params():
    with pytest.raises(ValueError, match="not fitted"):
        clv.BGNBD().expected_purchases(1.0)
    with pytest.raises(ValueError, match="expected parameters"):
        clv.GammaGamma.from_params(p=1.0, q=2.0)
    with pytest.raises(ValueError, match="beta must be > 0"):
        clv.ShiftedBetaGeometric.from_params(alpha=1.0, beta=-1.0)


def test_repr_and_series_inputs():
    data = clv.load_cdnow_summary()
    model = clv.BGNBD().fit(data["frequency"], data["recency"], data["T"])
    assert repr(model).startswith("BGNBD(r=0.2426")
    assert repr(clv.ParetoNBD()) == "ParetoNBD()"
    again = clv.BGNBD().fit(
        data["frequency"].to_numpy(), data["recency"].tolist(), data["T"].to_numpy()
    )
    assert again.params_ == pytest.approx(model.params_)


def _orders(**columns):
    base = {
        "customer_id": [1, 1, 1, 2, 3],
        "order_date": pd.to_datetime(
            [
                "2024-01-01 09:00",
                "2024-01-01 17:00",
                "2024-01-15 12:00",
                "2024-01-08 08:30",
                "2024-03-01 10:00",
            ]
        ),
        "net_amount": [10.0, 5.0, 30.0, 20.0, 7.0],
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_summary_merges_same_day_orders_in_days_and_weeks():
    days = clv.summary_from_orders(_orders(), cutoff="2024-01-29", time_unit="days")
    assert days.loc[1].tolist() == [1, 14.0, 28.0, 30.0]  # the two Jan 1 orders are one
    assert days.loc[2].tolist() == [0, 0.0, 21.0, 0.0]
    assert 3 not in days.index  # first purchase after the cut-off
    weeks = clv.summary_from_orders(_orders(), cutoff="2024-01-29")
    assert weeks.loc[1, "recency"] == 2.0 and weeks.loc[1, "T"] == 4.0
    full = clv.summary_from_orders(_orders(), time_unit="days")  # default cut-off: last order
    # Customer 3 first bought on the default cut-off day (the last order): T = 0,
    # nothing observed yet, so the summary leaves them out.
    assert 3 not in full.index and 2 in full.index


def test_calibration_holdout_split():
    orders = _orders(
        customer_id=[1, 1, 1, 2, 2],
        order_date=pd.to_datetime(
            ["2024-01-01", "2024-01-15", "2024-02-10", "2024-01-08", "2024-02-20"]
        ),
        net_amount=[10.0, 30.0, 40.0, 20.0, 60.0],
    )
    split = clv.calibration_holdout_split(orders, "2024-01-31", "2024-02-29", time_unit="days")
    assert split.loc[1, ["frequency_cal", "recency_cal", "T_cal", "monetary_cal"]].tolist() == [
        1,
        14.0,
        30.0,
        30.0,
    ]
    assert split.loc[1, "frequency_holdout"] == 1 and split.loc[1, "monetary_holdout"] == 40.0
    assert split.loc[2, "frequency_holdout"] == 1 and split.loc[2, "monetary_holdout"] == 60.0
    assert (split["duration_holdout"] == 29.0).all()
    with pytest.raises(ValueError, match="holdout_end"):
        clv.calibration_holdout_split(orders, "2024-01-31", "2024-01-20")


@pytest.mark.parametrize(
    ("orders", "kwargs", "message"),
    [
        (_orders().drop(columns="net_amount"), {}, "missing column\\(s\\) net_amount"),
        (_orders().iloc[0:0], {}, "orders: table is empty"),
        (_orders(net_amount=[10.0, -5.0, 1.0, 2.0, 3.0]), {}, "orders.net_amount: 1 negative"),
        (_orders(net_amount=["a"] * 5), {}, "orders.net_amount: expected numeric"),
        (_orders(order_date=["2024-01-01"] * 5), {}, "orders.order_date: expected datetime"),
        (_orders(), {"time_unit": "months"}, "time_unit"),
        (_orders(), {"cutoff": "2023-01-01"}, "cutoff: no orders"),
    ],
)
def test_summary_rejects_bad_orders(orders, kwargs, message):
    with pytest.raises(ValueError, match=message):
        clv.summary_from_orders(orders, **kwargs)


def test_customers_first_seen_on_the_cutoff_day_are_left_out():
    import pandas as pd

    from sim.analytics.clv import BGNBD, calibration_holdout_split, summary_from_orders

    orders = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "order_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-15", "2024-03-01"]),
            "net_amount": [10.0, 20.0, 5.0, 7.0],
        }
    )
    s = summary_from_orders(orders, cutoff="2024-03-01", time_unit="days")
    # Customer 3 first bought on the cut-off day: T would be 0.
    assert list(s.index) == [1, 2]
    assert s.loc[1, "T"] == 60 and s.loc[1, "recency"] == 31 and s.loc[1, "frequency"] == 1
    split = calibration_holdout_split(orders, "2024-01-15", "2024-03-31", time_unit="days")
    assert list(split.index) == [1]
    assert split.loc[1, "frequency_holdout"] == 1
    assert (s["T"] > 0).all()
    BGNBD.from_params(r=1.0, alpha=10.0, a=1.0, b=2.0).probability_alive(
        s["frequency"], s["recency"], s["T"]
    )


def test_rows_are_compressed_only_when_they_repeat():
    import numpy as np

    from sim.analytics.clv._fitting import compress, worth_compressing

    x = np.array([1.0, 1.0, 2.0, 1.0, 2.0, 1.0])
    z = np.array([5.0, 5.0, 7.0, 5.0, 7.0, 5.0])  # two distinct rows out of six
    assert worth_compressing(x, z)
    (ux, uz), w = compress(x, z)
    assert sorted(zip(ux, uz, w, strict=True)) == [(1.0, 5.0, 4.0), (2.0, 7.0, 2.0)]
    rng = np.random.default_rng(0)
    assert not worth_compressing(x, rng.random(6))  # continuous spends: all distinct
    assert not worth_compressing(np.array([]), np.array([]))


def test_gamma_gamma_fit_is_the_same_with_or_without_compression():
    import numpy as np

    from sim.analytics import clv

    data = clv.simulate_gamma_gamma(
        np.random.default_rng(3).integers(1, 6, 4000), p=6.0, q=4.0, v=15.0, seed=4
    )
    spend = data["monetary"].to_numpy()
    continuous = clv.GammaGamma().fit(data["frequency"], spend)
    rounded = clv.GammaGamma().fit(data["frequency"], np.round(spend))  # repeats: compressed
    # The compressed fit's log-likelihood is the sum over every customer, row by row.
    per_customer = rounded.customer_log_likelihood(data["frequency"], np.round(spend))
    assert rounded.log_likelihood_ == pytest.approx(per_customer.sum(), rel=1e-12)
    assert continuous.log_likelihood_ == pytest.approx(
        continuous.customer_log_likelihood(data["frequency"], spend).sum(), rel=1e-12
    )
    assert continuous.params_["p"] == pytest.approx(rounded.params_["p"], rel=0.05)
