"""Issue 18's bad inputs: each exits with code 2 and one line, quickly, before any work.

Every case the issue lists as an exit 1, a timeout or a silent acceptance is
here, run in process through ``partnerlab_cli.main``; the ones about memory
also run through the console script, whose peak memory is measured.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers import BASE_YAML, PARTNERLAB, SCENARIOS

import partnerlab_cli
import sim.runs.api

QUICK_SECONDS = 15
#: Peak memory of a console script refusing its input: Python and its libraries, nothing more.
SMALL_MEMORY_KB = 600 * 1024

LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def write(path: Path, text: str, extends: bool = True) -> Path:
    head = f"extends: {BASE_YAML}\n" if extends else ""
    path.write_text(head + textwrap.dedent(text), encoding="utf-8")
    return path


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run ``partnerlab *args`` in process: exit 2, nothing on stdout, one line on stderr."""
    start = time.perf_counter()
    code = partnerlab_cli.main(list(args))
    seconds = time.perf_counter() - start
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("partnerlab: error: "), err
    assert seconds < QUICK_SECONDS
    return err


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a run starts: bad input must be refused before any work."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the simulation started")

    monkeypatch.setattr(sim.runs.api, "replicate", forbidden)


# -- scenario files that are not YAML text, or YAML that would blow up -------------------


@pytest.mark.parametrize("command", ["run", "compare", "pilot"])
def test_a_non_utf8_file_is_refused(tmp_path, capsys, command, no_simulation) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    err = refused(capsys, command, str(path), "--out", str(tmp_path / "o"))
    assert f"{path}: is not UTF-8 text (byte 0xe9 at offset 9)" in err


def test_a_binary_file_is_refused(tmp_path, capsys, no_simulation) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(bytes(range(256)) * 4)
    err = refused(capsys, "run", str(path), "--out", str(tmp_path / "o"))
    assert str(path) in err and "expected" in err


def test_a_nul_byte_in_the_text_is_refused(tmp_path, capsys, no_simulation) -> None:
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"seed: 1\x00\n")
    assert "contains a NUL byte" in refused(capsys, "run", str(path))


@pytest.mark.parametrize(
    ("field", "value"), [("name", '"a\\0b"'), ("description", '"x\\0"'), ("design.name", '"\\0"')]
)
def test_a_nul_byte_in_a_name_is_refused(tmp_path, capsys, field, value, no_simulation) -> None:
    path = write(tmp_path / "nul.yaml", "")
    err = refused(capsys, "run", str(path), "--set", f"{field}={value}")
    assert field in err and "NUL" in err


def test_billion_laughs_is_refused_fast_in_little_memory(tmp_path, capsys) -> None:
    path = write(tmp_path / "laughs.yaml", LAUGHS, extends=False)
    assert "more than 100,000 values once aliases are expanded" in refused(capsys, "run", str(path))


def test_nesting_5000_lists_deep_is_refused(tmp_path, capsys) -> None:
    path = write(tmp_path / "deep.yaml", "name: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested more than 64 levels deep" in refused(capsys, "run", str(path))
    deep = "[" * 5000 + "]" * 5000
    err = refused(capsys, "run", str(SCENARIOS / "base.yaml"), "--set", f"description={deep}")
    assert "--set description=[[[" in err and "nested more than 64 levels deep" in err
    key = ".".join(["a"] * 5000)
    err = refused(capsys, "run", str(SCENARIOS / "base.yaml"), "--set", f"{key}=1")
    assert "expected a dotted key of at most 64 parts" in err and len(err) < 400


def test_a_file_past_the_size_limit_is_refused(tmp_path, capsys) -> None:
    path = tmp_path / "large.yaml"
    path.write_text("description: " + "x" * (1 << 20) + "\n", encoding="utf-8")
    assert "is larger than 1,048,576 bytes" in refused(capsys, "run", str(path))


def test_duplicate_keys_are_refused(tmp_path, capsys) -> None:
    path = write(tmp_path / "dup.yaml", "market:\n  demand: 1.0\n  demand: 2.0\n")
    err = refused(capsys, "run", str(path))
    assert f"{path}: line 4, column 3: duplicate key 'demand'" in err


# -- extends: only scenario files --------------------------------------------------------


def test_extends_dev_zero_is_refused_unread(tmp_path, capsys) -> None:
    path = write(tmp_path / "zero.yaml", "extends: /dev/zero\n", extends=False)
    err = refused(capsys, "run", str(path))
    assert "extends: expected a .yaml or .yml scenario file, got '/dev/zero'" in err


@pytest.mark.parametrize("kind", ["device", "folder", "fifo"])
def test_extends_something_named_yaml_that_is_not_a_file(tmp_path, capsys, kind) -> None:
    target = tmp_path / "parent.yaml"
    if kind == "device":
        target.symlink_to("/dev/zero")
    elif kind == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)  # opening it for reading would block: it must not be opened so
    path = write(tmp_path / "child.yaml", "extends: parent.yaml\n", extends=False)
    err = refused(capsys, "run", str(path))
    assert str(target) in err
    assert ("is a folder" if kind == "folder" else "is not a regular file") in err


def test_extends_a_file_that_is_not_a_scenario_is_refused_unread(tmp_path, capsys) -> None:
    secret = tmp_path / "secrets.txt"
    secret.write_text("population: {partners: {reseller: hunter2-SECRET}}\n")
    path = write(tmp_path / "child.yaml", f"extends: {secret}\n", extends=False)
    err = refused(capsys, "run", str(path))
    assert "expected a .yaml or .yml scenario file" in err and "hunter2" not in err


def test_an_error_names_the_parent_that_holds_the_field_without_its_value(tmp_path, capsys) -> None:
    parent = write(tmp_path / "parent.yaml", "population: {partners: {reseller: hunter2-SECRET}}\n")
    child = write(tmp_path / "child.yaml", "extends: parent.yaml\nseed: 3\n", extends=False)
    err = refused(capsys, "run", str(child))
    assert f"error: {parent}: population.partners.reseller: input should be a valid integer" in err
    assert "hunter2" not in err and str(child) not in err
    # the named file's own values are still shown
    own = write(tmp_path / "own.yaml", "population: {partners: {reseller: twelve}}\n")
    assert "(got 'twelve')" in refused(capsys, "run", str(own))


# -- numbers: finite, bounded, strictly typed; shares that sum to 1 -----------------------

LADDER = """
design:
  mechanics:
    - type: tiered_rebate
      tiers:
        - {{name: base, threshold: 0, rate: 0.01}}
        - {{name: top, threshold: {threshold}, rate: 0.02}}
"""
BONUS = "design: {mechanics: [{type: bonus, threshold: 1000, amount: %s}]}\n"
EMAILS = ", ".join(["{type: email}"] * 101)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("market: {demand: .inf}\n", "market.demand"),
        ("market: {demand: .nan}\n", "market.demand"),
        (LADDER.format(threshold=".inf"), "design.mechanics.0.tiers.1.threshold"),
        (LADDER.format(threshold="{reseller: 1e308, integrator: 1, alliance: 1}"), "reseller"),
        (BONUS % "1e308", "design.mechanics.0.amount"),
        (BONUS % "-.inf", "design.mechanics.0.amount"),
        ("search: {held_out: .inf}\n", "search.held_out"),
    ],
    ids=["demand-inf", "demand-nan", "threshold-inf", "threshold-1e308", "amount-1e308",
         "amount-minus-inf", "tool-section-inf"],
)  # fmt: skip
def test_numbers_that_would_overflow_are_refused_at_load(
    tmp_path, capsys, body, field, no_simulation
) -> None:
    path = write(tmp_path / "huge.yaml", body)
    err = refused(capsys, "run", str(path), "--out", str(tmp_path / "o"))
    assert field in err and "expected a finite number between -10^12 and 10^12" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ("population: {partners: {reseller: true}}\n", ["reseller", "valid integer"]),
        ('replications: "8"\n', ["replications", "valid integer"]),
        ("horizon_weeks: 52.0\n", ["horizon_weeks", "valid integer"]),
        ("market: {demand: yes}\n", ["market.demand", "valid number"]),
        (
            "population: {regions: {a: 1.0, b: 1.7}}\n",
            ["population.regions", "expected shares that sum to 1, got a sum of 3.7"],
        ),
        (
            "population: {size_bands: {small: 0.5, large: 0.4}}\n",
            ["population.size_bands", "sum to 1, got a sum of 1.2"],  # base's medium 0.3 kept
        ),
        (f"design: {{mechanics: [{EMAILS}]}}\n", ["design.mechanics", "at most 100 items"]),
        ('name: ""\n', ["name: expected a non-empty name"]),
        ('name: "two\\nlines"\n', ["name: expected a name without control characters"]),
    ],
    ids=["bool-count", "text-count", "float-count", "bool-number", "regions-2.7",
         "size-bands", "101-mechanics", "empty-name", "newline-name"],
)  # fmt: skip
def test_silent_acceptances_are_refused(tmp_path, capsys, body, needles, no_simulation) -> None:
    path = write(tmp_path / "strict.yaml", body)
    err = refused(capsys, "run", str(path))
    for needle in [str(path), *needles]:
        assert needle in err


# -- limits: partners, replications, jobs, memory ----------------------------------------


@pytest.mark.parametrize("count", [100_000_000, 10**12])
def test_too_many_partners_is_refused_with_the_way_past_the_limit(
    tmp_path, capsys, count, no_simulation
) -> None:
    path = write(tmp_path / "big.yaml", f"population: {{partners: {{reseller: {count}}}}}\n")
    err = refused(capsys, "run", str(path))
    total = count + 140 + 40
    assert "population.partners: expected at most 1,000,000 partners in a world" in err
    assert f"set PARTNERLAB_MAX_PARTNERS={total} to go past it on purpose" in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", str(SCENARIOS / "quickstart.yaml"), "--replications", "1000000000"],
         "--replications: expected at most 10,000 replications"),
        (["validate", "--partners", "1000000000000"],
         "--partners: expected at most 1,000,000 partners in a world"),
        (["run", str(SCENARIOS / "quickstart.yaml"), "--jobs", "100000"],
         "--jobs: expected at most"),
        (["run", str(SCENARIOS / "quickstart.yaml"), "--seed", "10000000000000"],
         "--seed: expected an integer <= 10^12"),
    ],
    ids=["replications", "validate-partners", "jobs", "seed"],
)  # fmt: skip
def test_option_limits(tmp_path, capsys, args, needle, no_simulation) -> None:
    err = refused(capsys, *args, "--no-progress")
    assert needle in err


#: Runs the console script and prints its peak memory (KB), so only it is measured.
MEASURE = (
    "import resource, subprocess, sys; "
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60); "
    "sys.stderr.write(done.stderr); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
    "sys.exit(done.returncode)"
)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "laughs.yaml", "--out", "o"],
        ["run", "zero.yaml", "--out", "o"],
        ["run", str(BASE_YAML), "--set", f"population.partners.reseller={10**12}", "--out", "o"],
        ["run", str(BASE_YAML), "--replications", "1000000000", "--out", "o"],
        ["run", str(BASE_YAML), "--jobs", "100000", "--out", "o"],
        ["validate", "--partners", "1000000000000"],
    ],
    ids=["laughs", "dev-zero", "partners", "replications", "jobs", "validate-partners"],
)  # fmt: skip
def test_the_console_script_refuses_in_little_memory_and_time(tmp_path, args) -> None:
    write(tmp_path / "laughs.yaml", LAUGHS, extends=False)
    write(tmp_path / "zero.yaml", "extends: /dev/zero\n", extends=False)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(PARTNERLAB), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("partnerlab: error: ")
    assert time.perf_counter() - start < 30
    assert int(done.stdout) < SMALL_MEMORY_KB
    assert not (tmp_path / "o").exists()


# -- output places ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["file", "dev-null", "unwritable", "folder"])
def test_a_bad_out_is_refused_before_the_simulation(tmp_path, capsys, kind, no_simulation) -> None:
    out = {
        "file": tmp_path / "a-file",
        "dev-null": Path("/dev/null"),
        "unwritable": Path("/sys/partnerlab-test/out"),
        "folder": tmp_path / "existing",
    }[kind]
    if kind == "file":
        out.write_text("mine")
    if kind == "folder":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    err = refused(capsys, "run", str(SCENARIOS / "quickstart.yaml"), "--out", str(out))
    expected = {
        "file": "exists and is not a folder",
        "dev-null": "exists and is not a folder",
        "unwritable": "cannot be written",
        "folder": "already exists; pass --overwrite to replace it",
    }[kind]
    assert f"--out {out}: {expected}" in err
    if kind == "file":
        assert out.read_text() == "mine"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_refused_before_the_simulation(tmp_path, capsys, no_simulation):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    err = refused(capsys, "run", str(SCENARIOS / "quickstart.yaml"), "--out", str(locked / "o"))
    assert "cannot be written (Permission denied)" in err


@pytest.mark.parametrize(
    "args",
    [
        ["--storage="],
        ["--storage", "/sys/partnerlab-test/study.journal"],
        ["--storage", "sqlite:////sys/partnerlab-test/study.db"],
    ],
    ids=["empty", "unwritable-journal", "unwritable-sqlite"],
)
def test_an_unusable_optimize_storage_is_refused(tmp_path, capsys, args) -> None:
    err = refused(
        capsys, "optimize", str(SCENARIOS / "optimize_tiers.yaml"), "--out", str(tmp_path / "o"),
        *args,
    )  # fmt: skip
    assert "storage" in err
    assert not (tmp_path / "o").exists()
