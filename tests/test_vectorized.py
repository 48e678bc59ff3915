"""Guard: a week's step runs no per-partner Python code.

The number of Python function calls and C function calls over a 52-week run
must not depend on the number of partners (50 vs 500). The market demand is
raised so that every week has at least one arrival even with 50 partners:
otherwise the "no arrivals this week" early return would make the counts
differ by a few calls for a reason that has nothing to do with loops.

Executed lines may differ slightly: ``Pipeline.move`` returns early in a week
when no partner moves a deal (the deal-timing game), which is a data-dependent
branch, not a loop. The slack allowed is a few lines per week, far below the
450 extra lines per week that a loop over the 450 extra partners would add.
"""

from __future__ import annotations

import sys
from collections import Counter

import pytest
from helpers import load_small

import agents
import sim


def scenario(scale: int):
    counts = {"reseller": 35 * scale, "integrator": 10 * scale, "alliance": 5 * scale}
    return load_small("quickstart", "market.demand=10", "seed=3", counts=counts)


def count_events(model: sim.PartnerProgramModel) -> Counter:
    """Profile and trace events while the model runs its horizon."""
    events: Counter = Counter()

    def profile(frame, event, arg):
        events[event] += 1

    def trace(frame, event, arg):
        if event == "line":
            events["line"] += 1
        return trace

    previous_trace = sys.gettrace()
    sys.setprofile(profile)
    sys.settrace(trace)
    try:
        model.run()
    finally:
        sys.settrace(previous_trace)
        sys.setprofile(None)
    return events


def calls_for(scale: int) -> Counter:
    model = sim.PartnerProgramModel(scenario(scale), arm="design")
    events = count_events(model)
    assert model.week == 52
    return Counter({k: events[k] for k in ("call", "c_call", "line")})


@pytest.fixture(scope="module", autouse=True)
def warm_up():
    # first-use caches (loggers, lazy imports) must not count against the smaller model
    sim.PartnerProgramModel(scenario(1), arm="design").run()


def test_python_work_per_week_does_not_grow_with_partners():
    small, large = calls_for(1), calls_for(10)  # 50 and 500 partners
    assert small["call"] > 52  # the profiler saw the steps
    assert small["call"] == large["call"]
    assert small["c_call"] == large["c_call"]
    assert abs(small["line"] - large["line"]) <= 52 * 5


def test_the_guard_catches_a_per_partner_loop(monkeypatch):
    """The counts do change when a decision rule loops over partners in Python."""
    original = agents.Partner.activity_multiplier.__func__

    def looping(cls, traits, rows, engagement, status):
        out = original(cls, traits, rows, engagement, status)
        for i in range(out.size):  # a per-partner loop, as the guard must catch
            out[i] = float(out[i])
        return out

    monkeypatch.setattr(agents.Partner, "activity_multiplier", classmethod(looping))
    small, large = calls_for(1), calls_for(10)
    assert large["line"] > small["line"] + 52 * 400
