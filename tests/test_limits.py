"""Limits on the size of a job: refused with the way past them, raised on purpose, and a memory
estimate that stays above what real runs hold."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import SCENARIOS, partners_override

import optimize
import sim
from optimize.sweeps.design import make_design, parse_params
from sim.checks.base import Setup
from sim.errors import ScenarioError
from sim.limits import JOBS, PARTNERS, cores, memory_limit, size, workers
from sim.runs.footprint import (
    PILOT_PARTNER_BYTES,
    check_bytes,
    histories_bytes,
    per_partner_bytes,
    replications_bytes,
)

QUICK = SCENARIOS / "quickstart.yaml"
RATE = "design.mechanics.0.tiers.1.rate"


def test_a_limit_names_its_variable_and_the_value_to_set(monkeypatch) -> None:
    monkeypatch.delenv("PARTNERLAB_MAX_PARTNERS", raising=False)
    assert PARTNERS.excess(1_000_000) is None
    assert PARTNERS.excess(1_000_001) == (
        "expected at most 1,000,000 partners in a world, got 1,000,001 "
        "(a limit: set PARTNERLAB_MAX_PARTNERS=1000001 to go past it on purpose)"
    )
    monkeypatch.setenv("PARTNERLAB_MAX_PARTNERS", "2_000_000")
    assert PARTNERS.excess(1_000_001) is None and PARTNERS.value() == 2_000_000


@pytest.mark.parametrize("text", ["lots", "-5", "0", "1.5", "1e6"])
def test_a_malformed_limit_variable_is_bad_input(monkeypatch, text) -> None:
    monkeypatch.setenv("PARTNERLAB_MAX_PARTNERS", text)
    with pytest.raises(ScenarioError, match="expected a positive whole number"):
        PARTNERS.value()


def test_raising_the_partner_limit_lets_a_big_world_load(monkeypatch) -> None:
    big = "population.partners={reseller: 1500000}"
    with pytest.raises(ScenarioError, match="PARTNERLAB_MAX_PARTNERS=1500000"):
        sim.load_scenario(QUICK, [big])
    monkeypatch.setenv("PARTNERLAB_MAX_PARTNERS", "1500000")
    assert sim.load_scenario(QUICK, [big]).population.partners == {"reseller": 1_500_000}


def test_jobs_are_capped_at_the_cores_unless_raised(monkeypatch) -> None:
    monkeypatch.delenv("PARTNERLAB_MAX_JOBS", raising=False)
    assert workers(-1) == cores() == JOBS.value()
    assert workers(cores()) == cores()
    with pytest.raises(ScenarioError, match=f"--jobs: expected at most {cores()} worker"):
        workers(cores() + 1)
    monkeypatch.setenv("PARTNERLAB_MAX_JOBS", str(cores() + 1))
    assert workers(cores() + 1) == cores() + 1
    with pytest.raises(ScenarioError, match="positive number of processes or -1, got 0"):
        workers(0)


def test_a_run_past_the_memory_limit_is_refused_before_it_starts(monkeypatch) -> None:
    scenario = sim.load_scenario(QUICK, [partners_override()])
    monkeypatch.setenv("PARTNERLAB_MAX_MEMORY", "100M")
    with pytest.raises(ScenarioError) as info:
        sim.run_scenario(scenario, replications=2)
    needed = replications_bytes(scenario, 2, 2, 1)
    assert str(info.value) == (
        f"quickstart (45 partners, 2 replications): expected to need about {size(needed)} of "
        "memory, but 100.0 MiB is set; use fewer partners, replications or --jobs (a limit: "
        f"set PARTNERLAB_MAX_MEMORY={-(-needed // 2**30)}G to go past it on purpose)"
    )
    monkeypatch.setenv("PARTNERLAB_MAX_MEMORY", "2G")
    assert memory_limit() == 2 * 2**30
    assert sim.run_scenario(scenario, replications=2).replications == 2
    monkeypatch.setenv("PARTNERLAB_MAX_MEMORY", "plenty")
    with pytest.raises(ScenarioError, match="expected a size such as 64G"):
        sim.run_scenario(scenario, replications=2)


def test_the_memory_estimate_grows_with_every_dimension_of_a_run() -> None:
    small = sim.load_scenario(QUICK, [partners_override()])
    wide = sim.load_scenario(QUICK, [partners_override({"reseller": 60_000})])
    long = sim.load_scenario(QUICK, [partners_override(), "behaviour.reseller.cycle_weeks_max=150"])
    base = replications_bytes(small, 2, 8, 1)
    assert replications_bytes(wide, 2, 8, 1) > base
    assert replications_bytes(long, 2, 8, 1) > base
    assert replications_bytes(small, 5, 8, 1) > base
    assert replications_bytes(small, 2, 8000, 1) > base
    assert replications_bytes(wide, 2, 8, 2) > replications_bytes(wide, 2, 8, 1)


def test_sweep_points_past_the_limit_are_refused_before_the_grid_is_built(monkeypatch) -> None:
    raw = sim.load_scenario(QUICK).model_dump(mode="json")
    params = parse_params([f"{RATE}=0:0.1:200", "seed=0:99:100"], raw)
    with pytest.raises(ScenarioError, match="--param \\(a grid\\): expected at most 10,000 points"):
        make_design(params)
    with pytest.raises(ScenarioError, match="--samples: expected at most 10,000 points"):
        make_design(params[:1], "lhs", samples=20_000)
    with pytest.raises(ScenarioError, match="expected at most 10,000 points, got 1,000,000,000"):
        parse_params([f"{RATE}=0:0.1:1000000000"], raw)
    monkeypatch.setenv("PARTNERLAB_MAX_SWEEP_POINTS", "20000")
    assert len(make_design(params)) == 20_000


def test_sensitivity_runs_past_the_limit_are_refused(tmp_path) -> None:
    with pytest.raises(ScenarioError, match=r"--samples 5000 \(sobol: 15,000 points\)"):
        optimize.sensitivity(
            QUICK, [f"{RATE}=0:0.1"], method="sobol", samples=5000, out=tmp_path / "s"
        )
    assert not (tmp_path / "s").exists()


# -- the estimate is an upper bound of real runs ------------------------------------------

#: Runs a job and prints its peak memory: VmHWM, the high-water mark of this process's own
#: memory (``ru_maxrss`` would also count the test process it was started from).
PEAK = textwrap.dedent(
    """
    import re, sys
    import sim
    {job}
    status = open("/proc/self/status").read()
    print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) * 1024)
    """
)


def peak_bytes(job: str) -> int:
    """Peak memory of a fresh Python process that runs ``job``."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK.format(job=job)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return int(done.stdout.split()[-1])


@pytest.mark.parametrize(
    ("overrides", "replications"),
    [
        (["population.partners={reseller: 30000}", "horizon_weeks=26"], 1),
        (["population.partners={reseller: 20}", "horizon_weeks=104"], 150),
    ],
    ids=["many-partners", "many-replications"],
)
def test_the_run_estimate_is_above_the_measured_peak(overrides, replications) -> None:
    scenario = sim.load_scenario(QUICK, overrides)
    load = f"sim.load_scenario({str(QUICK)!r}, {overrides!r})"
    job = f"sim.run_scenario({load}, replications={replications})"
    measured = peak_bytes(job)
    estimate = replications_bytes(scenario, 2, replications, 1)
    assert measured <= estimate < 4 * measured, (size(measured), size(estimate))


def test_the_validate_estimate_is_above_the_measured_peak() -> None:
    job = (
        "from sim.checks.base import Setup; from sim.checks.catalog import validate; "
        "validate(Setup.default(1500, most=4))"
    )
    measured = peak_bytes(job)
    estimate = check_bytes(Setup.default(1500).scenario, batch=4, years=2)
    assert measured <= estimate < 4 * measured, (size(measured), size(estimate))


def test_the_pilot_estimate_is_above_the_measured_peak() -> None:
    path = SCENARIOS / "pilot_rebate.yaml"
    job = (
        "from sim.pilot.planning import run_pilot; "
        f"run_pilot({str(path)!r}, simulations=2, planning=False)"
    )
    measured = peak_bytes(job)
    estimate = per_partner_bytes(sim.load_scenario(path), PILOT_PARTNER_BYTES)
    assert measured <= estimate, (size(measured), size(estimate))


#: A small calibration of 3,000 resellers: one fitted parameter, one round of 8 points.
CALIBRATE = [
    "population.partners={reseller: 3000}",
    "calibrate={params: {behaviour.reseller.deal_size: {low: 2000, high: 30000, log: true}}, "
    "points: 8, seeds: 2, rounds: 1, noise: 10, predictive: 10, draws: 200}",
]


def test_the_history_estimate_is_above_the_measured_peak() -> None:
    from sim.calibration.generate import recorded_columns

    overrides = ["population.partners={reseller: 20000}"]
    scenario = sim.load_scenario(QUICK, overrides).model_copy(update={"horizon_weeks": 104})
    job = (
        "from sim.calibration.generate import generate_history; "
        f"generate_history(sim.load_scenario({str(QUICK)!r}, {overrides!r}), 104, seed=1)"
    )
    measured = peak_bytes(job)
    estimate = histories_bytes(scenario, 1, len(recorded_columns(scenario)), 1)
    assert measured <= estimate < 4 * measured, (size(measured), size(estimate))


@pytest.fixture(scope="module")
def history_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sim.calibration.generate import generate_history

    path = tmp_path_factory.mktemp("history") / "history.csv"
    generate_history(sim.load_scenario(QUICK, CALIBRATE), 39, seed=1).write(path)
    return path


def test_the_calibration_estimate_is_above_the_measured_peak(history_csv: Path, tmp_path) -> None:
    from agents import ARCHETYPES
    from sim.calibration.population import calibration_world
    from sim.calibration.reading import read_bytes, read_history

    job = (
        "from pathlib import Path; from sim.calibration.calibrate import calibrate; "
        f"calibrate(Path({str(history_csv)!r}), sim.load_scenario({str(QUICK)!r}, "
        f"{CALIBRATE!r}), Path({str(tmp_path / 'out')!r}))"
    )
    measured = peak_bytes(job)
    history = read_history(history_csv, list(ARCHETYPES))
    world = calibration_world(history, sim.load_scenario(QUICK, CALIBRATE))
    pairs = 8 * 2  # one group of 8 points x 2 seeds: more than the noise or predictive runs
    estimate = read_bytes(history_csv) + histories_bytes(world, pairs, len(history.series), 1)
    assert measured <= estimate < 4 * measured, (size(measured), size(estimate))


def test_a_calibration_past_the_memory_limit_is_refused_before_it_starts(
    history_csv: Path, tmp_path, capsys, monkeypatch
) -> None:
    import partnerlab_cli

    monkeypatch.setenv("PARTNERLAB_MAX_MEMORY", "600M")  # reads the file, not simulate
    scenario = tmp_path / "calibrate.yaml"
    scenario.write_text(f"extends: {QUICK}\n")
    sets = [arg for item in CALIBRATE for arg in ("--set", item)]
    out = tmp_path / "out"
    args = ["calibrate", str(history_csv), "--scenario", str(scenario), *sets, "--out", str(out)]
    assert partnerlab_cli.main([*args, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "simulated histories" in err[0] and "PARTNERLAB_MAX_MEMORY" in err[0]
    assert not out.exists()
