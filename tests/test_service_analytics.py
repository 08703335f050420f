"""Service analytics: survey scores, contact KPIs and Erlang C on hand-computed tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.analytics import service as sv

D = pd.Timestamp("2024-01-01")


def surveys(nps, csat, ces, trigger=None) -> pd.DataFrame:
    n = len(nps)
    return pd.DataFrame(
        {
            "survey_id": range(n),
            "customer_id": range(n),
            "trigger": trigger or ["order"] * n,
            "nps": nps,
            "csat": csat,
            "ces": ces,
        }
    )


S = surveys(
    nps=[10, 9, 8, 7, 6, 0, 10, 3],
    csat=[5, 4, 3, 4, 2, 1, 5, 5],
    ces=[1, 2, 3, 4, 5, 7, 1, 6],
    trigger=["order"] * 4 + ["ticket"] * 4,
)


def test_nps_and_client_types():
    # promoters 10,9,10 = 3/8; passives 8,7 = 2/8; detractors 6,0,3 = 3/8
    # NPS = 100 * (3/8 - 3/8) = 0
    assert sv.nps(S) == pytest.approx(0.0)
    assert sv.nps(pd.Series([10, 9, 8, 3])) == pytest.approx(25.0)  # 50 % - 25 %
    ct = sv.client_types(S)
    assert ct["count"].tolist() == [3, 2, 3]
    assert ct["share"].tolist() == pytest.approx([3 / 8, 2 / 8, 3 / 8])


def test_csat_ces():
    # csat >= 4: 5,4,4,5,5 = 5/8; mean = (5+4+3+4+2+1+5+5)/8 = 29/8
    assert sv.csat(S) == pytest.approx(5 / 8)
    assert sv.csat_mean(S) == pytest.approx(29 / 8)
    # ces mean = (1+2+3+4+5+7+1+6)/8 = 29/8; easy (<=3): 1,2,3,1 = 4/8
    assert sv.ces(S) == pytest.approx(29 / 8)
    assert sv.ces_easy_share(S) == pytest.approx(0.5)
    assert sv.ces_easy_share(S, easy_max=1) == pytest.approx(2 / 8)


def test_experience_summary_by_trigger():
    out = sv.experience_summary(S, by="trigger")
    # order: nps 10,9,8,7 -> promoters 2/4, detractors 0 -> NPS 50
    # ticket: nps 6,0,10,3 -> promoters 1/4, detractors 3/4 -> NPS -50
    assert out.loc["order", "nps"] == pytest.approx(50.0)
    assert out.loc["ticket", "nps"] == pytest.approx(-50.0)
    assert out.loc["ticket", "csat"] == pytest.approx(2 / 4)  # 5,5 of 2,1,5,5
    assert out["responses"].tolist() == [4, 4]
    assert sv.experience_summary(S).loc["all", "nps"] == pytest.approx(0.0)


def test_score_validation_names_column_and_problem():
    with pytest.raises(ValueError, match=r"surveys\.nps: 1 value\(s\) outside .*0–10.*11"):
        sv.nps(pd.Series([10, 11]))
    with pytest.raises(ValueError, match=r"surveys\.csat.*1–5"):
        sv.csat(pd.Series([0, 5], name="csat"))
    with pytest.raises(ValueError, match=r"surveys\.ces"):
        sv.ces(pd.Series([2.5]))
    with pytest.raises(ValueError, match="empty"):
        sv.nps(surveys([], [], []))
    with pytest.raises(ValueError, match="missing column"):
        sv.nps(S.drop(columns="nps"))


def tickets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": range(6),
            "customer_id": [1, 2, 3, 4, 1, 5],
            "created_at": D + pd.to_timedelta([0, 0, 0, 0, 50, 400], unit="D"),
            "channel": ["phone", "phone", "phone", "phone", "email", "phone"],
            "wait_minutes": [0.1, 0.5, 2.0, 3.0, 0.0, 0.2],
            "abandoned": [False, False, False, True, False, False],
            "contacts_to_resolve": [1, 2, 1, 3, 1, 1],
            "resolved": [True, True, True, False, True, True],
            "effort_score": [1, 3, 6, 7, 2, 2],
        }
    )


def test_abandonment_and_service_level():
    t = tickets()
    # phone: 5 contacts, 1 abandoned
    assert sv.abandonment_rate(t) == pytest.approx(1 / 5)
    assert sv.abandonment_rate(t, channel=None) == pytest.approx(1 / 6)
    # answered within 1 minute: waits 0.1, 0.5, 0.2 (the 3.0 one abandoned) -> 3/5
    assert sv.observed_service_level(t, threshold_minutes=1.0) == pytest.approx(3 / 5)
    # within 20 s (1/3 min): 0.1 and 0.2 -> 2/5
    assert sv.observed_service_level(t) == pytest.approx(2 / 5)
    # abandoned counts as not answered even with a generous threshold: 4/5
    assert sv.observed_service_level(t, threshold_minutes=10) == pytest.approx(4 / 5)
    with pytest.raises(ValueError, match="no contacts on channel 'fax'"):
        sv.abandonment_rate(t, channel="fax")


def test_ticket_summary():
    out = sv.ticket_summary(tickets())
    # phone: fcr = resolved & one contact: tickets 0, 2, 5 -> 3/5
    assert out.loc["phone", "contacts"] == 5
    assert out.loc["phone", "fcr"] == pytest.approx(3 / 5)
    assert out.loc["phone", "mean_wait"] == pytest.approx((0.1 + 0.5 + 2 + 3 + 0.2) / 5)
    assert out.loc["email", "mean_effort"] == pytest.approx(2.0)


def test_churn_by_service_experience():
    t = tickets()
    # first tickets: c1 good (effort 1), c2 good (3), c3 bad (effort 6), c4 bad (abandoned),
    # c5 created day 400: its 180-day window ends after `end` -> dropped.
    orders = pd.DataFrame(
        {
            "order_id": range(5),
            "customer_id": [1, 2, 3, 4, 3],
            # c1 day 10 (repeat), c2 day 200 (outside window), c3 day 0 (not after),
            # c4 day 100 (repeat), c3 day 181 (outside)
            "order_date": D + pd.to_timedelta([10, 200, 0, 100, 181], unit="D"),
        }
    )
    out = sv.churn_by_service_experience(t, orders, window_days=180, end="2024-12-31")
    assert out.loc["good"].tolist() == [2, 1, 0.5]  # c1 repeats, c2 does not
    assert out.loc["bad"].tolist() == [2, 1, 0.5]  # c4 repeats, c3 does not
    out = sv.churn_by_service_experience(
        t, orders, window_days=180, effort_threshold=7, end="2024-12-31"
    )
    # now c3 (effort 6) is good: good 1/3 ... c1 yes, c2 no, c3 no; bad = c4 only, repeats
    assert out.loc["good", "repeat_rate"] == pytest.approx(1 / 3)
    assert out.loc["bad", "repeat_rate"] == pytest.approx(1.0)


def test_erlang_b_and_c_small_case():
    # A = 2 Erlangs, c = 3. Erlang B recursion: B1 = 2/3, B2 = (4/3)/(10/3) = 2/5,
    # B3 = (4/5)/(3 + 4/5) = 4/19. Erlang C = cB/(c - A(1-B)) = (12/19)/(27/19) = 4/9.
    # Direct formula: (A^c/c! * c/(c-A)) / (sum_{k<c} A^k/k! + same) = (8/6*3)/(1+2+2+4) = 4/9.
    assert sv.erlang_b(2.0, 3) == pytest.approx(4 / 19)
    r = sv.erlang_c(arrival_rate=2.0, handle_time=1.0, agents=3)
    assert r.p_wait == pytest.approx(4 / 9)
    assert r.traffic == pytest.approx(2.0)
    assert r.occupancy == pytest.approx(2 / 3)
    # Wq = C * h / (c - A) = 4/9
    assert r.mean_wait == pytest.approx(4 / 9)
    # SL(t=0.5) = 1 - 4/9 * exp(-(3-2)*0.5/1) = 1 - 0.4444*0.60653 = 0.73043
    assert sv.service_level(2.0, 1.0, 3, 0.5) == pytest.approx(1 - 4 / 9 * math.exp(-0.5))
    assert r.service_level(0) == pytest.approx(1 - 4 / 9)


def test_erlang_c_classic_example():
    # c = 10, A = 8 (e.g. 8/3 calls per minute x 3 min). Direct formula:
    # sum_{k<10} 8^k/k! = 2136.227; 8^10/10! * 10/(10-8) = 295.894 * 5 = 1479.472;
    # C = 1479.472 / (2136.227 + 1479.472) = 0.40918
    direct_sum = sum(8**k / math.factorial(k) for k in range(10))
    top = 8**10 / math.factorial(10) * 10 / 2
    r = sv.erlang_c(8 / 3, 3.0, 10)
    assert r.p_wait == pytest.approx(top / (direct_sum + top))
    assert r.p_wait == pytest.approx(0.4092, abs=5e-5)
    # Wq = 0.4092 * 3 / (10 - 8) = 0.6138 min; SL(20 s) = 1 - 0.4092 * exp(-2 * (1/3) / 3)
    assert r.mean_wait == pytest.approx(0.40918 * 1.5, abs=1e-4)
    assert r.service_level(1 / 3) == pytest.approx(0.6724, abs=1e-4)


def test_erlang_c_is_stable_for_large_centres():
    # 1000 agents, 950 Erlangs: factorials overflow a direct formula, the recursion does not
    r = sv.erlang_c(950.0, 1.0, 1000)
    assert 0.0 < r.p_wait < 1.0


def test_required_agents_and_staffing_table():
    # A = 2, t = 0.5: c=3 -> SL 0.7304; c=4 -> C = 4/23, SL = 1 - 4/23*e^-1 = 0.9360
    assert sv.required_agents(2.0, 1.0, 0.9, 0.5) == 4
    assert sv.required_agents(2.0, 1.0, 0.7, 0.5) == 3
    tab = sv.staffing_table(2.0, 1.0, 0.5, agents=range(1, 5))
    assert tab["stable"].tolist() == [False, False, True, True]
    assert tab["p_wait"].tolist() == pytest.approx([1.0, 1.0, 4 / 9, 4 / 23])
    assert tab.loc[3, "service_level"] == pytest.approx(1 - 4 / 23 * math.exp(-1))
    assert sv.staffing_table(2.0, 1.0, 0.5)["agents"].tolist() == list(range(3, 14))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((2.0, 1.0, 2), "unstable"),
        ((3.0, 1.0, 2), "unstable"),
        ((0.0, 1.0, 2), "arrival_rate"),
        ((1.0, -1.0, 2), "handle_time"),
        ((1.0, 1.0, 0), "agents"),
        ((1.0, 1.0, 2.5), "agents"),
        ((float("nan"), 1.0, 2), "arrival_rate"),
    ],
)
def test_erlang_c_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        sv.erlang_c(*args)


def test_required_agents_bad_target():
    with pytest.raises(ValueError, match="target_service_level"):
        sv.required_agents(2.0, 1.0, 1.0, 0.5)
    with pytest.raises(ValueError, match="threshold"):
        sv.service_level(2.0, 1.0, 3, -1)
