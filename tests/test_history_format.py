"""Partner history files: written by ``partnerlab history``, read back exactly, bad ones refused.

Every kind of bad input exits 2 with one line naming the file, the row (the
file's line, for CSV) and the column, before any work.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, TINY, partners_override
from test_cli import check_one_line

import partnerlab_cli
import sim
from sim.calibration.generate import generate_history
from sim.calibration.history import aggregate, period_of_week, weeks_in
from sim.calibration.reading import read_history

DEMO = ROOT / "data" / "calibration" / "demo.yaml"
ARCHETYPES = ["reseller", "integrator", "alliance"]


@pytest.fixture(scope="module")
def small() -> sim.Scenario:
    return sim.load_scenario(DEMO, [partners_override(TINY)])


@pytest.fixture(scope="module")
def history_csv(tmp_path_factory, small) -> Path:
    path = tmp_path_factory.mktemp("history") / "history.csv"
    generate_history(small, 26, seed=3).write(path)
    return path


def test_periods_follow_the_model_calendar() -> None:
    weeks = np.arange(26)
    assert period_of_week(weeks, "week").tolist() == weeks.tolist()
    # Months of 4, 4 and 5 weeks; quarters of 13.
    months = period_of_week(weeks, "month")
    assert np.bincount(months).tolist() == [4, 4, 5, 4, 4, 5]
    assert period_of_week(weeks, "quarter").tolist() == [0] * 13 + [1] * 13
    assert [weeks_in(p, "month") for p in range(4)] == [0, 4, 8, 13]
    assert aggregate(np.ones((26, 2)), "quarter").tolist() == [[13, 13], [13, 13]]


def test_history_command_writes_what_read_history_reads(tmp_path, capsys) -> None:
    out = tmp_path / "h.parquet"
    code = partnerlab_cli.main(
        ["history", str(DEMO), "--weeks", "26", "--out", str(out), "--seed", "3",
         "--set", partners_override(TINY)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "partners" in capsys.readouterr().out
    read = read_history(out, ARCHETYPES)
    made = generate_history(sim.load_scenario(DEMO, [partners_override(TINY)]), 26, seed=3)
    assert read.periods == 26 and read.partners == made.partners
    order = np.argsort(made.partner_id)
    for name, values in made.series.items():
        expected = values[:, order]
        if name in {"deals_won", "deals_registered"}:
            expected = expected.round()
        np.testing.assert_allclose(read.series[name], expected, atol=0.006)
    assert set(read.series) == {"revenue", "deals_won", "deals_registered", "rewards_paid"}


def test_csv_declares_frequency_and_returns(history_csv) -> None:
    head = history_csv.read_text().splitlines()[:3]
    assert head[0] == "# frequency: week" and head[1] == "# returns: true"
    assert head[2].startswith("partner_id,archetype,size_band,region,joined,week,revenue,deals_won")
    history = read_history(history_csv, ARCHETYPES)
    assert history.returns and history.frequency == "week"


def test_monthly_rows_sum_the_weeks(tmp_path, small) -> None:
    weekly = generate_history(small, 26, seed=3)
    monthly = generate_history(small, 26, seed=3, frequency="month")
    monthly.write(tmp_path / "m.csv")
    read = read_history(tmp_path / "m.csv", ARCHETYPES)
    assert read.periods == 6 and read.frequency == "month"
    assert read.series["revenue"].sum() == pytest.approx(weekly.series["revenue"].sum(), rel=1e-6)


def test_dated_periods_become_period_numbers(tmp_path) -> None:
    dates = pd.date_range("2024-01-01", periods=3, freq="7D").strftime("%Y-%m-%d")
    frame = pd.DataFrame(
        {"partner_id": "A", "archetype": "reseller", "week": dates, "revenue": [1, 2, 3],
         "deals_won": [1, 1, 1], "joined": "2023-12-18"}
    )  # fmt: skip
    frame.to_csv(tmp_path / "d.csv", index=False)
    history = read_history(tmp_path / "d.csv", ARCHETYPES)
    assert history.series["revenue"][:, 0].tolist() == [1, 2, 3]
    assert history.joined.tolist() == [-2.0]


# -- bad input: (name, edit of the good file, needles of the one error line) ---------------
def _replace_cell(column: str, value: str, line: int = 4):
    def edit(lines: list[str]) -> list[str]:
        header = lines[2].split(",")
        cells = lines[line - 1].split(",")
        cells[header.index(column)] = value
        lines[line - 1] = ",".join(cells)
        return lines

    return edit


def _replace_partner_cell(column: str, value: str):
    """Set ``column`` on every row of the first partner."""

    def edit(lines: list[str]) -> list[str]:
        header = lines[2].split(",")
        first = lines[3].split(",")[0]
        for k, line in enumerate(lines[3:], start=3):
            cells = line.split(",")
            if cells[0] == first:
                cells[header.index(column)] = value
                lines[k] = ",".join(cells)
        return lines

    return edit


def _undeclared_returns(lines: list[str]) -> list[str]:
    """A negative revenue in a file that says returns are not declared."""
    return [lines[0], "# returns: false", *_replace_cell("revenue", "-5")(lines)[2:]]


def _drop_column(column: str):
    def edit(lines: list[str]) -> list[str]:
        index = lines[2].split(",").index(column)
        return lines[:2] + [
            ",".join(c for i, c in enumerate(r.split(",")) if i != index) for r in lines[2:]
        ]

    return edit


BAD = [
    ("missing-column", _drop_column("deals_won"), ["column deals_won", "missing column"]),
    ("no-period-column", _drop_column("week"), ["column period", "missing column"]),
    (
        "unknown-archetype",
        _replace_cell("archetype", "distributor"),
        ["row 4", "column archetype", "one of"],
    ),
    ("negative-revenue", _undeclared_returns, ["row 4", "column revenue", ">= 0", "returns"]),
    ("not-a-number", _replace_cell("revenue", "lots"), ["row 4", "column revenue", "a number"]),
    (
        "fractional-deals",
        _replace_cell("deals_won", "1.5"),
        ["row 4", "column deals_won", "whole number"],
    ),
    ("negative-period", _replace_cell("week", "-1"), ["row 4", "column week", "period number"]),
    ("bad-date", _replace_cell("week", "2024-13-45"), ["column week", "ISO date"]),
    ("empty-cell", _replace_cell("partner_id", ""), ["row 4", "column partner_id", "a value"]),
    ("duplicate", lambda rows: rows[:4] + [rows[3]] + rows[4:], ["row 5", "twice"]),
    ("gap", lambda rows: rows[:4] + rows[5:], ["row 5", "no row for period 1"]),
    (
        "archetype-changes",
        _replace_cell("archetype", "alliance", line=5),
        ["row 5", "column archetype", "one value per partner"],
    ),
    (
        "bad-joined",
        _replace_partner_cell("joined", "soon"),
        ["row 4", "column joined", "week number"],
    ),
    (
        "late-joined",
        _replace_partner_cell("joined", "5"),
        ["row 4", "column joined", "no later than"],
    ),
    (
        "unknown-frequency",
        lambda rows: ["# frequency: fortnight", *rows[1:]],
        ["frequency 'fortnight'", "expected one of"],
    ),
    (
        "frequency-clash",
        lambda rows: ["# frequency: month", *rows[1:]],
        ["column week", "month declared"],
    ),
    ("header-only", lambda rows: rows[:3], ["no data rows"]),
]


@pytest.mark.parametrize(("edit", "needles"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_history_exits_2_with_one_line(tmp_path, capsys, history_csv, edit, needles) -> None:
    lines = history_csv.read_text().splitlines()
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(edit(lines)) + "\n")
    out = tmp_path / "out"
    code = partnerlab_cli.main(
        ["calibrate", str(path), "--scenario", str(DEMO), "--out", str(out), "--no-progress"]
    )
    assert code == 2
    check_one_line(capsys.readouterr().err, str(path), *needles)
    assert not out.exists(), "nothing is written for bad input"


@pytest.mark.parametrize(
    ("name", "content", "needles"),
    [
        ("missing.csv", None, ["file not found"]),
        ("history.txt", "a,b\n", ["expected a .csv or .parquet file"]),
        ("empty.csv", "", ["empty file"]),
        ("broken.parquet", "not parquet", ["not a parquet file"]),
    ],
)
def test_unreadable_history_exits_2(tmp_path, capsys, name, content, needles) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    code = partnerlab_cli.main(["calibrate", str(path), "--scenario", str(DEMO), "--no-progress"])
    assert code == 2
    check_one_line(capsys.readouterr().err, str(path), *needles)


def test_a_device_or_folder_is_not_read_as_a_history(tmp_path, capsys) -> None:
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    for path in (tmp_path / "folder.csv", tmp_path / "zero.csv"):
        args = ["calibrate", str(path), "--scenario", str(DEMO), "--no-progress"]
        assert partnerlab_cli.main(args) == 2
        check_one_line(capsys.readouterr().err, str(path), "not a regular file")


def test_a_history_past_the_size_limit_is_refused_unread(
    tmp_path, capsys, history_csv, monkeypatch
) -> None:
    monkeypatch.setenv("PARTNERLAB_MAX_HISTORY_BYTES", "1000")
    args = ["calibrate", str(history_csv), "--scenario", str(DEMO), "--no-progress"]
    assert partnerlab_cli.main(args) == 2
    size = history_csv.stat().st_size
    needles = ["expected at most 1,000 bytes", f"PARTNERLAB_MAX_HISTORY_BYTES={size}"]
    check_one_line(capsys.readouterr().err, str(history_csv), *needles)


def test_a_history_past_the_partner_limit_is_refused(
    tmp_path, capsys, history_csv, monkeypatch
) -> None:
    monkeypatch.setenv("PARTNERLAB_MAX_PARTNERS", "5")
    small = "population.partners={reseller: 3, integrator: 1, alliance: 1}"
    args = ["calibrate", str(history_csv), "--scenario", str(DEMO), "--set", small]
    assert partnerlab_cli.main([*args, "--no-progress"]) == 2
    check_one_line(capsys.readouterr().err, str(history_csv), "partner_id", "at most 5 partners")


@pytest.mark.parametrize(
    ("param", "needles"),
    [
        ("behaviour.reseller.effort_elasticity=abc", ["--param", "expected KEY=lo:hi"]),
        ("behaviour.reseller.effort_elasticity=2:1", ["--param", "high > low"]),
        ("behaviour.reseller.dormancy_weeks=1:9", ["--param", "fittable parameter"]),
        ("market.demand=0.5:2", ["--param", "behaviour.<archetype>.<parameter>"]),
        ("behaviour.reseller.effort_elasticity=0:9", ["--param", "at 9"]),
        ("behaviour.reseller.deal_size=0:9:log", ["--param", "low > 0"]),
    ],
)
def test_bad_param_exits_2_before_reading(tmp_path, capsys, history_csv, param, needles) -> None:
    args = ["calibrate", str(history_csv), "--scenario", str(DEMO), "--param", param]
    assert partnerlab_cli.main([*args, "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    check_one_line(capsys.readouterr().err, *needles)
    assert not (tmp_path / "o").exists()


def test_too_short_a_history_for_the_held_out_check(tmp_path, capsys, small) -> None:
    path = tmp_path / "short.csv"
    generate_history(small, 20, seed=1).write(path)
    code = partnerlab_cli.main(["calibrate", str(path), "--scenario", str(DEMO), "--no-progress"])
    assert code == 2
    check_one_line(capsys.readouterr().err, str(path), "at least 2 quarters")


def test_history_command_refuses_a_bad_suffix(tmp_path, capsys) -> None:
    out = tmp_path / "h.txt"
    code = partnerlab_cli.main(["history", str(DEMO), "--weeks", "26", "--out", str(out)])
    assert code == 2
    check_one_line(capsys.readouterr().err, "h.txt", ".csv or .parquet")
    assert not out.exists()


def test_a_fitted_archetype_must_be_in_the_history(tmp_path, capsys, history_csv) -> None:
    lines = history_csv.read_text().splitlines()
    resellers = [line for line in lines if ",reseller," in line]
    path = tmp_path / "resellers.csv"
    path.write_text("\n".join(lines[:3] + resellers) + "\n")
    param = "behaviour.integrator.deal_size=20000:90000:log"
    args = ["calibrate", str(path), "--scenario", str(DEMO), "--param", param, "--no-progress"]
    assert partnerlab_cli.main([*args, "--out", str(tmp_path / "o")]) == 2
    check_one_line(capsys.readouterr().err, str(path), "column archetype", "integrator")
    assert not (tmp_path / "o").exists()
