"""The ``partnerlab`` command line: bad input (exit 2, one line) and the run/compare contract."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from helpers import BASE_YAML, SCENARIOS, load_small, run_cli

import partnerlab_cli
import sim

METRICS = ("net_lift", "incremental_gross_profit", "incremental_cost", "roi")
RUN_KEYS = {
    "scenario", "seed", "replications", "partners", "horizon_weeks",
    "net_lift", "incremental_gross_profit", "incremental_cost", "roi", "by_archetype",
    "incremental_pipeline_value", "return_wording", "notes",
}  # fmt: skip


def bad_file(tmp_path: Path, body: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"extends: {BASE_YAML}\n" + textwrap.dedent(body), encoding="utf-8")
    return path


LADDER_2 = """
design:
  mechanics:
    - type: tiered_rebate
      tiers:
        - {{name: a, threshold: {t0}, rate: {r0}}}
        - {{name: b, threshold: {t1}, rate: {r1}}}
"""

# (id, file body laid over base.yaml, texts that must appear on the one error line)
BAD_FILES = [
    ("unknown-key", "market: {colour: red}\n", ["market.colour", "unknown key"]),
    ("wrong-type", "horizon_weeks: soon\n", ["horizon_weeks", "valid integer"]),
    (
        "negative-partners",
        "population: {partners: {reseller: -3}}\n",
        ["population.partners.reseller", ">= 0"],
    ),
    ("horizon-zero", "horizon_weeks: 0\n", ["horizon_weeks", ">= 1"]),
    ("replications-zero", "replications: 0\n", ["replications", ">= 1"]),
    (
        "thresholds-not-increasing",
        LADDER_2.format(t0=1000, r0=0.01, t1=500, r1=0.02),
        ["design.mechanics.0.tiers.1.threshold", "increase"],
    ),
    (
        "rate-above-one",
        LADDER_2.format(t0=0, r0=0.01, t1=500, r1=1.5),
        ["design.mechanics.0.tiers.1.rate", "<= 1"],
    ),
    (
        "rate-negative",
        LADDER_2.format(t0=0, r0=-0.01, t1=500, r1=0.5),
        ["design.mechanics.0.tiers.0.rate", ">= 0"],
    ),
    (
        "unknown-mechanic",
        "design: {mechanics: [{type: sms}]}\n",
        ["design.mechanics.0", "unknown mechanic type"],
    ),
]


def normalized(text: str) -> str:
    return text.replace("greater than or equal to", ">=").replace("less than or equal to", "<=")


def check_one_line(err: str, *needles: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert "Traceback" not in err
    for needle in needles:
        assert needle in normalized(line), (needle, line)
    return line


@pytest.mark.parametrize(
    ("body", "needles"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
def test_bad_scenario_file_exits_2_with_one_line(tmp_path, capsys, body, needles):
    path = bad_file(tmp_path, body)
    code = partnerlab_cli.main(["run", str(path), "--out", str(tmp_path / "out"), "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    check_one_line(err, str(path), *needles)
    assert not (tmp_path / "out").exists()


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "nowhere.yaml"
    assert partnerlab_cli.main(["run", str(path)]) == 2
    check_one_line(capsys.readouterr().err, str(path), "file not found")


def test_yaml_syntax_error(tmp_path, capsys):
    path = tmp_path / "syntax.yaml"
    path.write_text("name: x\n  bad: [1,\n", encoding="utf-8")
    assert partnerlab_cli.main(["run", str(path)]) == 2
    check_one_line(capsys.readouterr().err, str(path), "line 2", "YAML syntax error")


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--replications", "0"], ["--replications", ">= 1"]),
        (["--replications", "two"], ["--replications", "integer"]),
        (["--jobs", "0"], ["--jobs"]),
        (["--seed", "-4"], ["--seed"]),
        (
            ["--set", "design.colour=red"],
            ["--set design.colour=red", "design.colour", "unknown key"],
        ),
        (
            ["--set", "design.mechanics.0.tiers.1.rate=3"],
            ["--set design.mechanics.0.tiers.1.rate=3", "design.mechanics.0.tiers.1.rate"],
        ),
        (["--set", "seed"], ["--set", "dotted.key=value"]),
        (["--bogus"], ["--bogus"]),
    ],
    ids=[
        "replications-0",
        "replications-word",
        "jobs-0",
        "seed-negative",
        "set-unknown",
        "set-invalid",
        "set-no-equals",
        "unknown-option",
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path, capsys, args, needles):
    code = partnerlab_cli.main(
        ["run", str(SCENARIOS / "quickstart.yaml"), "--out", str(tmp_path / "o"), *args]
    )
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    check_one_line(err, *needles)


def test_no_subcommand_is_bad_input(capsys):
    assert partnerlab_cli.main([]) == 2
    check_one_line(capsys.readouterr().err, "partnerlab")


@pytest.mark.parametrize(
    ("body", "args", "needles"),
    [
        (None, ["--replications", "0"], ["--replications"]),
        (
            "design: {mechanics: [{type: tiered_rebate, "
            "tiers: [{name: a, threshold: 0, rate: 2}]}]}\n",
            [],
            ["design.mechanics.0.tiers.0.rate"],
        ),
        ("population: {partners: {reseller: -1}}\n", [], ["population.partners.reseller"]),
        (None, ["--set", "design.colour=red"], ["--set design.colour=red", "design.colour"]),
    ],
    ids=["replications-0", "rate", "negative-partners", "set-unknown"],
)
def test_bad_input_through_the_console_script(tmp_path, body, args, needles):
    path = bad_file(tmp_path, body) if body else SCENARIOS / "quickstart.yaml"
    if body:
        needles = [str(path), *needles]
    proc = run_cli("run", str(path), "--out", str(tmp_path / "out"), *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    line = check_one_line(proc.stderr, *needles)
    assert line.startswith("partnerlab: error:")


def test_missing_file_through_the_console_script(tmp_path):
    proc = run_cli("run", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2
    check_one_line(proc.stderr, str(tmp_path / "missing.yaml"), "file not found")


# -- acceptance: run ------------------------------------------------------------------


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("quick")
    args = ["run", "scenarios/quickstart.yaml", "--replications", "8", "--seed", "7", "--json"]
    first = run_cli(*args, "--out", str(out / "a"))
    second = run_cli(*args, "--out", str(out / "b"))
    parallel = run_cli(*args, "--out", str(out / "c"), "--jobs", "2")
    return out, first, second, parallel


def test_run_is_reproducible_and_independent_of_jobs(quickstart_run):
    _, first, second, parallel = quickstart_run
    assert first.returncode == second.returncode == parallel.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert first.stdout == parallel.stdout
    assert "Traceback" not in first.stderr


def test_run_json_contract(quickstart_run):
    data = json.loads(quickstart_run[1].stdout)
    assert set(data) == RUN_KEYS
    assert data["scenario"] == "quickstart"
    assert (data["seed"], data["replications"], data["partners"], data["horizon_weeks"]) == (
        7,
        8,
        600,
        52,
    )
    assert set(data["by_archetype"]) == {"reseller", "integrator", "alliance"}
    groups = [data, *data["by_archetype"].values()]
    for group in groups:
        for metric in METRICS:
            est = group[metric]
            assert set(est) == {"mean", "ci_low", "ci_high"}
            if est["mean"] is not None:
                assert est["ci_low"] <= est["mean"] <= est["ci_high"], (metric, est)
    # the total is the sum of the archetypes (paired differences are additive)
    total = sum(g["net_lift"]["mean"] for g in data["by_archetype"].values())
    assert total == pytest.approx(data["net_lift"]["mean"], rel=1e-9, abs=1e-6)
    nl, gp, cost = (
        data[m]["mean"] for m in ("net_lift", "incremental_gross_profit", "incremental_cost")
    )
    assert nl == pytest.approx(gp - cost, rel=1e-9, abs=1e-6)
    assert cost > 0 and data["roi"]["mean"] == pytest.approx(gp / cost)
    assert data["return_wording"].startswith(f"ROI {data['roi']['mean']:.2f} [")


def test_run_output_folder(quickstart_run):
    out = quickstart_run[0] / "a"
    names = {p.name for p in out.iterdir()}
    assert {"manifest.json", "summary.json", "runs.parquet", "timeseries.parquet"} <= names
    assert not [n for n in names if n.startswith(".")]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["replications"] == 8
    assert manifest["scenarios"][0]["name"] == "quickstart"
    summary = json.loads((out / "summary.json").read_text())
    stdout = json.loads(quickstart_run[1].stdout)
    assert {k: summary[k] for k in RUN_KEYS} == stdout
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 16 and set(runs["arm"]) == {"baseline", "design"}
    series = pd.read_parquet(out / "timeseries.parquet")
    assert len(series) == 8 * 2 * 52 * 3


def test_aa_test_has_exactly_zero_net_lift(tmp_path):
    proc = run_cli(
        "run", "scenarios/aa_test.yaml", "--json", "--out", str(tmp_path / "aa"), "--no-progress"
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["net_lift"] == {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    for group in data["by_archetype"].values():
        assert group["net_lift"] == {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}


def test_run_table_output_in_process(tmp_path, capsys):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(
        f"extends: {SCENARIOS / 'quickstart.yaml'}\n"
        "population: {partners: {reseller: 20, integrator: 6, alliance: 3}}\n",
        encoding="utf-8",
    )
    code = partnerlab_cli.main(
        ["run", str(scenario), "--replications", "2", "--out", str(tmp_path / "o"), "--no-progress"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "reseller" in out and "integrator" in out and "alliance" in out
    assert str(tmp_path / "o") in out
    assert (tmp_path / "o" / "manifest.json").exists()


# -- acceptance: compare --------------------------------------------------------------


def check_compare_json(data, names):
    designs = data["designs"]
    assert [d["rank"] for d in designs] == [1, 2, 3]
    assert {d["design"] for d in designs} == set(names)
    means = [d["net_lift"]["mean"] for d in designs]
    assert means == sorted(means, reverse=True)
    for d in designs:
        assert set(METRICS) <= set(d)
        est = d["net_lift"]
        assert est["ci_low"] <= est["mean"] <= est["ci_high"]
    aa = next(d for d in designs if d["design"] == "aa_test")
    assert aa["net_lift"] == {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    pairs = data["differences"]
    assert len(pairs) == 3
    order = [d["design"] for d in designs]
    by_name = dict(zip(order, means, strict=True))
    for pair in pairs:
        assert order.index(pair["design"]) < order.index(pair["versus"])
        diff = pair["net_lift_difference"]
        expected = by_name[pair["design"]] - by_name[pair["versus"]]
        assert diff["mean"] == pytest.approx(expected, rel=1e-9, abs=1e-6)
        assert diff["ci_low"] <= diff["mean"] <= diff["ci_high"]


def test_compare_json_contract_in_process():
    names = ("quickstart", "marginal_ladder", "aa_test")
    results = sim.compare_scenarios([load_small(n) for n in names], replications=3)
    data = json.loads(json.dumps(results.to_json(), allow_nan=False))
    assert data["baseline"] == "flat 2% rebate"
    assert (data["replications"], data["partners"], data["horizon_weeks"]) == (3, 45, 52)
    check_compare_json(data, names)


def test_compare_ranks_three_designs(tmp_path):
    proc = run_cli(
        "compare",
        "scenarios/quickstart.yaml",
        "scenarios/marginal_ladder.yaml",
        "scenarios/aa_test.yaml",
        "--replications", "4",
        "--json",
        "--no-progress",
        "--out", str(tmp_path / "cmp"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    check_compare_json(data, ("quickstart", "marginal_ladder", "aa_test"))
    assert (tmp_path / "cmp" / "manifest.json").exists()


def test_compare_different_worlds_is_bad_input(tmp_path):
    proc = run_cli(
        "compare", "scenarios/quickstart.yaml", "scenarios/downturn.yaml",
        "--replications", "2", "--out", str(tmp_path / "cmp"),
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stdout == ""
    check_one_line(proc.stderr, "market")
    assert not (tmp_path / "cmp").exists()


def test_compare_different_worlds_names_the_file(capsys, tmp_path):
    code = partnerlab_cli.main(
        [
            "compare",
            "scenarios/quickstart.yaml",
            "scenarios/downturn.yaml",
            "--out",
            str(tmp_path / "c"),
        ]
    )
    assert code == 2
    check_one_line(capsys.readouterr().err, "downturn.yaml", "market")


def test_compare_same_scenario_twice_is_bad_input(capsys, tmp_path):
    path = str(SCENARIOS / "quickstart.yaml")
    assert partnerlab_cli.main(["compare", path, path, "--out", str(tmp_path / "c")]) == 2
    check_one_line(capsys.readouterr().err, "name")
