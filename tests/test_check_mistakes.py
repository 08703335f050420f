"""A wrong answer that matches a registered common mistake gets that mistake's hint."""

import pandas as pd
import pytest

from sim.course.checks import Checker, expect


def test_a_known_mistake_gets_its_hint_and_never_the_answer():
    c = Checker()
    undiscounted = 1200.0
    c.expect(
        "q1",
        lambda: 1000.0,
        rtol=1e-3,
        mistakes={"did you discount the margins?": lambda: undiscounted},
    )
    wrong = c.check("q1", 1200.4, show=False)
    assert wrong.status == "wrong"
    assert "did you discount" in wrong.message and "1000" not in wrong.message
    assert c.check("q1", 1000.2, show=False).status == "right"
    # an unrelated wrong answer keeps the plain verdict
    assert c.check("q1", 700.0, show=False).message == "not right"
    # the percent/share factor hint still applies where no mistake matches
    assert "factor of 100" in c.check("q1", 100000.0, show=False).message


def test_mistakes_on_series_and_failing_mistakes():
    c = Checker()
    right = pd.Series([0.5, 0.25], index=["a", "b"])
    c.expect(
        "q2",
        right,
        mistakes={"did you censor?": right * 0.8, "broken": lambda: 1 / 0},
    )
    assert "did you censor?" in c.check("q2", right * 0.8, show=False).message
    # no mistake matches (and the failing one is dropped): the plain verdict
    assert (
        c.check("q2", right * 0.5, show=False).message == "2 of 2 values not right (first at 'a')"
    )


def test_mistakes_are_validated_outside_a_key():
    with pytest.raises(ValueError, match="mistakes must map"):
        expect("q1", 1.0, mistakes={"": 2.0})
