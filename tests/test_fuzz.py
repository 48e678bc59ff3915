"""Fuzzing (hypothesis): mutated shipped scenarios, random YAML and random command lines.

Whatever the input, ``partnerlab`` ends with exit code 0, or 2 and exactly one
line on stderr, within a time bound: never a traceback, an exit 1 or a hang.
Mutated scenarios change types and signs, put huge, tiny and non-finite
numbers, delete keys and nest values deeply in every shipped scenario; each
is loaded alone and then run small (a tiny population, one replication).
Command lines of every subcommand but ``app`` (a server, tested in a real
browser by ``test_browser.py``) mix valid and invalid options around a tiny
scenario. Values that would only make a valid job long (thousands of
replications, a pool of processes) are left out, so the examples stay fast.
"""

from __future__ import annotations

import copy
import io
import itertools
import math
import time
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import SCENARIOS, TINY, partners_override
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import partnerlab_cli
from sim.errors import BadInput
from sim.scenario.loading import load_scenario, merge_chain, read_chain

SECONDS = 60
SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
DEEP = "__deep__"


def fuzz(examples: int) -> settings:
    """Hypothesis settings of a fuzz test: ``examples`` examples, no deadline, no database."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


COUNTER = itertools.count()


def outcome(args: list[str]) -> tuple[int, str]:
    """Exit code and stderr of ``partnerlab *args`` run in process, checked for the contract.

    ``validate`` also exits 1 when a behavioural check fails (its documented
    meaning), which a small world may do; never with an unexpected failure.
    """
    err = io.StringIO()
    start = time.perf_counter()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        code = partnerlab_cli.main(args)
    assert time.perf_counter() - start < SECONDS, args
    text = err.getvalue()
    checks_failed = args[0] == "validate" and code == 1 and "unexpected failure" not in text
    assert code in (0, 2) or checks_failed, (args, text)
    if code == 2:
        lines = text.splitlines()
        assert len(lines) == 1 and lines[0].startswith("partnerlab: error: "), (args, text)
    return code, text


@cache
def base(stem: str) -> dict[str, Any]:
    """A shipped scenario resolved to one mapping, with a tiny world and a short horizon."""
    raw = merge_chain(read_chain(SCENARIOS / f"{stem}.yaml"))
    raw.setdefault("name", stem)
    raw.setdefault("population", {})["partners"] = dict(TINY)
    return raw | {"horizon_weeks": 13, "replications": 2}


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path under ``node`` (mappings and lists)."""
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        yield (*prefix, key)
        yield from paths(value, (*prefix, key))


NASTY = st.one_of(
    st.sampled_from(
        [0, -1, 1, 10**12, 10**12 + 1, 10**30, -(10**30), 2**63, 1e308, -1e308, 5e-324,
         math.inf, -math.inf, math.nan, -0.0, True, False, None, "", "x", "\0", "1e3",
         "<script>", "../../x", "é", [], [1], {}, {"a": 1}, [[[]]], DEEP]
    ),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.lists(st.integers(-3, 3), max_size=3),
)  # fmt: skip


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, dict[str, Any], int]:
    """A shipped scenario with 1 to 3 mutations, and how deep ``__deep__`` nests."""
    stem = draw(st.sampled_from(SHIPPED))
    raw = copy.deepcopy(base(stem))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(raw))))
        *head, last = path
        parent: Any = raw
        for key in head:
            parent = parent[key]
        old = parent[last]
        action = draw(st.sampled_from(["replace", "delete", "scale", "negate", "wrap", "text"]))
        if action == "delete":
            del parent[last]
        elif action == "scale" and isinstance(old, int | float) and not isinstance(old, bool):
            power = draw(st.integers(1, 400))
            parent[last] = (
                old * 10**power if isinstance(old, int) else old * 10.0 ** min(power, 308)
            )
        elif action == "negate" and isinstance(old, int | float) and not isinstance(old, bool):
            parent[last] = -old if old else -1
        elif action == "wrap":
            parent[last] = draw(st.sampled_from([[old], {"x": old}, [[old]]]))
        elif action == "text":
            parent[last] = str(old)
        else:
            parent[last] = draw(NASTY)
    depth = draw(st.sampled_from([3, 60, 64, 65, 5000]))
    return stem, raw, depth


def write(folder: Path, raw: dict[str, Any], depth: int) -> Path:
    text = yaml.safe_dump(raw, sort_keys=False)
    text = text.replace(DEEP, "[" * depth + "]" * depth)
    path = folder / f"mutant-{next(COUNTER)}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(autouse=True)
def in_folder(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in the fuzz folder: a fuzzed relative path (``--out x``) lands there."""
    monkeypatch.chdir(folder)


def test_every_small_shipped_scenario_runs(folder: Path) -> None:
    """The bases of the mutations run (so the fuzz mutates working scenarios)."""
    for stem in SHIPPED:
        path = write(folder, base(stem), 3)
        code, err = outcome(["run", str(path), "--out", str(folder / f"out-{stem}"), "--json"])
        assert code == 0, (stem, err)


@fuzz(200)
@given(case=mutations())
def test_mutated_scenarios_load_or_fail_in_one_line_and_run_small(
    folder: Path, case: tuple[str, dict[str, Any], int]
) -> None:
    _, raw, depth = case
    path = write(folder, raw, depth)
    try:
        load_scenario(path)
    except BadInput as error:
        assert "\n" not in str(error)
    small = ["--set", partners_override(TINY), "--replications", "1", "--no-progress"]
    code, _ = outcome(["run", str(path), *small, "--out", str(folder / f"run-{next(COUNTER)}")])
    event(f"exit {code}")


DATA = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)


@fuzz(40)
@given(
    data=st.one_of(
        st.text(max_size=200).map(str.encode),
        st.binary(max_size=200),
        DATA.map(lambda d: yaml.safe_dump(d).encode()),
    )
)
def test_random_yaml_is_a_scenario_or_one_line(folder: Path, data: bytes) -> None:
    path = folder / f"random-{next(COUNTER)}.yaml"
    path.write_bytes(data)
    small = ["--set", partners_override(TINY), "--set", "horizon_weeks=4", "--replications", "1"]
    outcome(["run", str(path), *small, "--out", str(folder / f"random-out-{next(COUNTER)}")])


# -- command lines --------------------------------------------------------------------------

#: Option values: valid small ones and invalid ones, never a valid large one.
VALUES = st.one_of(
    st.sampled_from(
        ["0", "1", "-7", "2", "10000000000000", "9" * 30, "1e3", "0.5", "nan", "inf", "-inf",
         "", "x", "\0", "é", "/dev/null", "/sys/nope/x", "=", "a=b", "seed=-1",
         "population.partners.reseller=true", "design.mechanics.0.tiers.1.rate=.inf",
         "design.name=<b>x</b>", "design.mechanics.0.tiers.1.rate=0:0.05:2", "--json",
         "a." * 100 + "b=1", "description=" + "[" * 100 + "]" * 100]
    ),
    st.text(max_size=6),
)  # fmt: skip
#: Options whose valid values would start pools of processes or servers: fuzzed with these only.
RISKY = {
    "--jobs": ["0", "1", "-7", "100000", "x"],
    "--backend": ["loky", "nope"],
    "--scheduler": ["tcp://127.0.0.1:1", ""],
    "--storage": ["memory", "", "/sys/nope/x.journal", "sqlite:////sys/nope/x.db", "x.txt"],
}


@cache
def tiny_scenarios(folder: Path) -> dict[str, Path]:
    """Tiny scenario files for each command: quickstart (twice), optimize_tiers, pilot, matrix,
    and a quickstart world with a small ``calibrate:`` section."""
    quick = base("quickstart")
    other = quick | {"name": "other"}
    search = base("optimize_tiers")
    search["search"] = search["search"] | {"held_out": 1}
    pilot = base("pilot_rebate") | {"pilot": {"partners": 8, "weeks": 4, "pre_weeks": 13,
                                              "simulations": 2, "planning": None}}  # fmt: skip
    matrix = base("experiment_matrix")
    matrix["pilot"] = matrix["pilot"] | {"weeks": 4, "pre_weeks": 13}
    fit = {"behaviour.reseller.deal_size": {"low": 2000, "high": 30000, "log": True}}
    calib = quick | {"calibrate": {"params": fit, "points": 8, "seeds": 2, "rounds": 1,
                                   "noise": 10, "predictive": 10, "draws": 200}}  # fmt: skip
    found = {}
    files = {"quick": quick, "other": other, "search": search, "pilot": pilot, "matrix": matrix,
             "calib": calib}  # fmt: skip
    for name, raw in files.items():
        found[name] = folder / f"tiny-{name}.yaml"
        found[name].write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return found


def command_options(command: str) -> list[tuple[str, bool]]:
    """(option, takes a value) of a subcommand, from the real parser."""
    parser = partnerlab_cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]  # type: ignore[union-attr]
    return [
        (action.option_strings[-1], action.nargs != 0)
        for action in sub._actions
        if action.option_strings and action.dest != "help"
    ]


#: Per command: positional arguments (the tiny scenario first) and options that keep it small.
def setup(command: str, tiny: dict[str, Path], folder: Path) -> tuple[list[str], list[str]]:
    out = ["--out", str(folder / f"cli-{next(COUNTER)}"), "--no-progress"]
    one = ["--replications", "1"]
    return {
        "run": ([str(tiny["quick"])], [*one, *out]),
        "compare": ([str(tiny["quick"]), str(tiny["other"])], [*one, *out]),
        "validate": ([], ["--partners", "60", "--max-replications", "2", "--check", "nudges",
                          "--no-progress"]),
        "pilot": ([str(tiny["pilot"])], ["--simulations", "2", "--no-plan", *out]),
        "matrix": ([str(tiny["matrix"])], ["--simulations", "1", *out]),
        "report": ([str(folder / "report-run")], ["--out", f"r-{next(COUNTER)}.html"]),
        "export": ([str(folder / "report-run")], ["--out", str(folder / f"csv-{next(COUNTER)}")]),
        "history": ([str(tiny["quick"])], ["--weeks", "13", "--no-progress",
                                           "--out", str(folder / f"h-{next(COUNTER)}.csv")]),
        "calibrate": ([str(folder / "history.csv")], ["--scenario", str(tiny["calib"]), *out]),
        "optimize": ([str(tiny["search"])], ["--trials", "1", "--storage", "memory", *one, *out]),
        "sweep": ([str(tiny["quick"])],
                  ["--param", "design.mechanics.0.tiers.1.rate=0.01,0.02", *one, *out]),
        "sensitivity": ([str(tiny["quick"])], ["--param", "design.mechanics.0.tiers.1.rate=0:0.04",
                                               "--samples", "1", *one, *out]),
    }[command]  # fmt: skip


POSITIONALS = ["", "nowhere.yaml", "/dev/null", "/", "/etc/passwd", "x\0y"]
COMMANDS = ("run", "compare", "validate", "pilot", "matrix", "report", "optimize", "sweep",
            "sensitivity", "export", "history", "calibrate")  # fmt: skip


@st.composite
def command_lines(draw: st.DrawFn, command: str) -> tuple[list[tuple[str, str | None]], bool]:
    """Fuzzed options of ``command`` (with values), and whether to swap a positional."""
    options = command_options(command)
    chosen = draw(st.lists(st.sampled_from(options), max_size=3))
    fuzzed = []
    for option, takes_value in chosen:
        value = None
        if takes_value:
            value = draw(st.sampled_from(RISKY[option]) if option in RISKY else VALUES)
        fuzzed.append((option, value))
    return fuzzed, draw(st.booleans())


@pytest.fixture(scope="module")
def report_run(folder: Path) -> None:
    tiny = tiny_scenarios(folder)
    code, err = outcome(["run", str(tiny["quick"]), "--replications", "1", "--no-progress",
                         "--out", str(folder / "report-run")])  # fmt: skip
    assert code == 0, err
    code, err = outcome(["history", str(tiny["quick"]), "--weeks", "39",
                         "--out", str(folder / "history.csv")])  # fmt: skip
    assert code == 0, err


@pytest.mark.parametrize("command", COMMANDS)
def test_command_lines_exit_0_or_2_in_one_line(folder: Path, report_run: None, command: str):
    tiny = tiny_scenarios(folder)
    examples = {"validate": 4, "report": 8, "optimize": 8, "sensitivity": 8, "export": 8,
                "calibrate": 4}.get(command, 14)  # fmt: skip

    @fuzz(examples)
    @given(line=command_lines(command), bad=st.sampled_from(POSITIONALS))
    def check(line: tuple[list[tuple[str, str | None]], bool], bad: str) -> None:
        fuzzed, swap = line
        positional, small = setup(command, tiny, folder)
        if swap and positional:
            positional = [bad, *positional[1:]]
        args = [command, *positional, *small]
        for option, value in fuzzed:
            args += [option] if value is None else [f"{option}={value}"]
        event(f"exit {outcome(args)[0]}")

    check()
