"""Results folders: safe names, whole folders, hashes in the manifest, ``--overwrite``, ``report``.

The issue's "mixed results look complete" case: a second run into a finished
folder is refused; with ``--overwrite`` and killed half-way it leaves the first
run's folder as it was; and a folder mixing two runs' files is refused by
``partnerlab report``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers import SCENARIOS, partners_override

import partnerlab_cli
import sim.runs.store
from sim.errors import BadInput
from sim.report.html import build_report
from sim.runs.outputs import ResultsFolder, default_out_dir, folder_label
from sim.runs.store import MANIFEST, sha256, verify_folder

SMALL = [
    "--set", partners_override(), "--set", "horizon_weeks=13", "--replications", "2",
    "--no-progress", "--json",
]  # fmt: skip
QUICK = str(SCENARIOS / "quickstart.yaml")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = partnerlab_cli.main(list(args))
    out, err = capsys.readouterr()
    if code == 2:
        assert len(err.splitlines()) == 1, err
    return code, err


def run_into(capsys: pytest.CaptureFixture[str], out: Path, *extra: str) -> dict:
    code, err = cli(capsys, "run", QUICK, "--out", str(out), *SMALL, *extra)
    assert code == 0, err
    return json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("../../../../elsewhere/x", "elsewhere-x"),
        ("/srv/x", "srv-x"),
        ("..", "scenario"),
        ("a/b\\c d", "a-b-c-d"),
        ("quickstart", "quickstart"),
        ("café ladder", "café-ladder"),
        ("x" * 300, "x" * 80),
    ],
)
def test_folder_names_are_one_safe_component(name: str, label: str) -> None:
    assert folder_label(name) == label
    out = default_out_dir(name, root=Path("results"))
    assert out.parent == Path("results") and out.name.startswith(f"{label}-")


@pytest.mark.parametrize("name", ["../../../../elsewhere/x", "/srv/x", "..hidden"])
def test_a_run_named_like_a_path_writes_under_results(tmp_path, capsys, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "named.yaml").write_text(f"extends: {QUICK}\nname: {json.dumps(name)}\n")
    code, err = cli(capsys, "run", "named.yaml", *SMALL)
    assert code == 0, err
    made = [p for p in tmp_path.rglob("manifest.json")]
    assert len(made) == 1 and made[0].parent.parent == tmp_path / "results"
    assert not made[0].parent.name.startswith(".")


def test_the_manifest_lists_every_file_with_its_sha256(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    run_into(capsys, out)
    files = json.loads((out / MANIFEST).read_text())["files"]
    on_disk = sorted(p.name for p in out.iterdir() if p.name != MANIFEST)
    assert sorted(files) == on_disk
    assert all(files[name] == sha256(out / name) for name in files)
    assert verify_folder(out)["kind"] == "run"
    assert not list(tmp_path.glob(".*")), "no hidden sibling is left behind"


def test_an_existing_out_is_refused_unless_overwrite(tmp_path, capsys) -> None:
    out = tmp_path / "D"
    first = run_into(capsys, out, "--seed", "1")
    code, err = cli(capsys, "run", QUICK, "--out", str(out), *SMALL, "--seed", "2")
    assert code == 2 and f"--out {out}: already exists; pass --overwrite" in err
    assert json.loads((out / "summary.json").read_text()) == first
    second = run_into(capsys, out, "--seed", "2", "--overwrite")
    assert second["seed"] == 2 and second != first
    assert verify_folder(out)["seed"] == 2
    assert not list(tmp_path.glob(".*"))


def test_overwrite_never_replaces_a_folder_that_is_not_results(tmp_path, capsys) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("precious")
    code, err = cli(capsys, "run", QUICK, "--out", str(mine), *SMALL, "--overwrite")
    assert code == 2 and "is not a partnerlab results folder" in err
    assert (mine / "thesis.txt").read_text() == "precious"


def test_an_empty_folder_is_filled(tmp_path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    run_into(capsys, tmp_path / "empty")
    assert verify_folder(tmp_path / "empty")["kind"] == "run"


def test_a_run_killed_while_writing_leaves_the_old_folder_whole(tmp_path, capsys, monkeypatch):
    out = tmp_path / "D"
    first = run_into(capsys, out, "--seed", "1")
    before = {p.name: sha256(p) for p in out.iterdir()}
    real = sim.runs.store.write_parquet
    written: list[Path] = []

    def killed_after_the_first_file(path: Path, frame: object) -> None:
        if written:
            raise KeyboardInterrupt  # as a Ctrl-C after the first file
        written.append(path)
        real(path, frame)  # type: ignore[arg-type]

    monkeypatch.setattr(sim.runs.store, "write_parquet", killed_after_the_first_file)
    code = partnerlab_cli.main(
        ["run", QUICK, "--out", str(out), *SMALL, "--seed", "2", "--overwrite"]
    )
    capsys.readouterr()
    assert code == 130 and len(written) == 1
    assert {p.name: sha256(p) for p in out.iterdir()} == before
    assert json.loads((out / "summary.json").read_text()) == first
    assert not list(tmp_path.glob(".*")), "the half-written sibling is removed"
    assert "Net lift" in build_report(out)


def test_a_killed_process_leaves_a_hidden_sibling_the_next_run_removes(tmp_path, capsys) -> None:
    dead = tmp_path / ".D.partial-999999999-abc"  # no such process
    dead.mkdir()
    (dead / "runs.parquet").write_text("half")
    alive = tmp_path / f".D.partial-{os.getpid()}-abc"  # this process: kept
    alive.mkdir()
    run_into(capsys, tmp_path / "D")
    assert not dead.exists() and alive.exists()


def test_results_folder_discards_what_it_wrote_on_error(tmp_path) -> None:
    with pytest.raises(RuntimeError), ResultsFolder(tmp_path / "x") as folder:
        (folder.path / "a.txt").write_text("a")
        raise RuntimeError("failed")
    assert list(tmp_path.iterdir()) == []


# -- report refuses folders that do not match their manifest ------------------------------


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("two")
    for seed in ("1", "2"):
        code = partnerlab_cli.main(
            ["run", QUICK, "--out", str(root / seed), *SMALL, "--seed", seed]
        )
        assert code == 0
    return root / "1", root / "2"


def damaged(two_runs: tuple[Path, Path], tmp_path: Path, how: str) -> Path:
    folder = tmp_path / "D"
    shutil.copytree(two_runs[0], folder)
    if how == "mixed":
        shutil.copy(two_runs[1] / "runs.parquet", folder / "runs.parquet")
    elif how == "truncated":
        data = (folder / "runs.parquet").read_bytes()
        (folder / "runs.parquet").write_bytes(data[: len(data) // 2])
    elif how == "truncated-and-rehashed":  # a manifest edited to match: parquet still checked
        data = (folder / "runs.parquet").read_bytes()
        (folder / "runs.parquet").write_bytes(data[: len(data) // 2])
        manifest = json.loads((folder / MANIFEST).read_text())
        manifest["files"]["runs.parquet"] = sha256(folder / "runs.parquet")
        (folder / MANIFEST).write_text(json.dumps(manifest))
    elif how == "missing":
        (folder / "segments.parquet").unlink()
    elif how == "extra":
        shutil.copy(two_runs[1] / "runs.parquet", folder / "runs-2.parquet")
    elif how == "fifo-manifest":  # reading it would block: it must not be opened
        (folder / MANIFEST).unlink()
        os.mkfifo(folder / MANIFEST)
    elif how == "link":
        (folder / "runs.parquet").unlink()
        (folder / "runs.parquet").symlink_to(two_runs[1] / "runs.parquet")
    elif how == "list":
        (folder / MANIFEST).write_text("[1, 2]")
    elif how == "outside":  # a manifest that lists a file outside the folder
        manifest = json.loads((folder / MANIFEST).read_text())
        manifest["files"]["../../etc/passwd"] = "0" * 64
        (folder / MANIFEST).write_text(json.dumps(manifest))
    elif how == "no-hashes":
        manifest = json.loads((folder / MANIFEST).read_text())
        del manifest["files"]
        (folder / MANIFEST).write_text(json.dumps(manifest))
    return folder


@pytest.mark.parametrize(
    ("how", "needle"),
    [
        ("mixed", "runs.parquet: does not match its SHA-256 in manifest.json"),
        ("truncated", "runs.parquet: does not match its SHA-256"),
        ("truncated-and-rehashed", "runs.parquet: not a readable parquet table"),
        ("missing", "segments.parquet: missing; manifest.json lists it"),
        ("extra", "runs-2.parquet: not in manifest.json"),
        ("fifo-manifest", "manifest.json: not a regular file; expected a results manifest"),
        ("link", "runs.parquet: not a regular file or folder"),
        ("list", "manifest.json: a JSON list; expected a results manifest (a JSON object)"),
        ("no-hashes", "manifest.json: lists no file hashes"),
        ("outside", "'../../etc/passwd': expected a file inside the folder"),
    ],
)
def test_report_refuses_a_folder_that_does_not_match(two_runs, tmp_path, capsys, how, needle):
    folder = damaged(two_runs, tmp_path, how)
    code, err = cli(capsys, "report", str(folder))
    assert code == 2 and needle in err
    assert not (folder / "report.html").exists()
    assert pq.read_table(two_runs[0] / "runs.parquet").num_rows > 0  # the sources are intact


def test_report_out_must_be_a_new_file(two_runs, tmp_path, capsys) -> None:
    folder = two_runs[0]
    code, err = cli(capsys, "report", str(folder), "--out", str(tmp_path))
    assert code == 2 and f"--out {tmp_path}: is a folder" in err
    page = tmp_path / "r.html"
    page.write_text("old")
    code, err = cli(capsys, "report", str(folder), "--out", str(page))
    assert code == 2 and "already exists; pass --overwrite" in err and page.read_text() == "old"
    assert cli(capsys, "report", str(folder), "--out", str(page), "--overwrite")[0] == 0
    assert "Net lift" in page.read_text()
    code, err = cli(capsys, "report", str(folder), "--out", "/dev/null", "--overwrite")
    assert code == 2 and "is not a regular file" in err


def test_an_unfinished_sweep_is_refused_by_report(tmp_path, capsys) -> None:
    out = tmp_path / "sweep"
    args = [
        "sweep", QUICK, "--param", "design.mechanics.0.tiers.1.rate=0.01,0.03", "--out", str(out),
        *SMALL,
    ]  # fmt: skip
    assert cli(capsys, *args)[0] == 0
    assert verify_folder(out)["status"] == "complete"
    assert "summary.json" in json.loads((out / MANIFEST).read_text())["files"]
    manifest = json.loads((out / MANIFEST).read_text())
    (out / MANIFEST).write_text(json.dumps(manifest | {"status": "running"}))
    code, err = cli(capsys, "report", str(out))
    assert code == 2 and "status 'running'; expected a finished folder" in err
    assert cli(capsys, *args)[0] == 0  # the same command finishes it again
    assert verify_folder(out)["status"] == "complete"
    with pytest.raises(BadInput, match="already exists"):
        ResultsFolder(out)


def test_sweep_overwrite_starts_over_and_refuses_other_folders(tmp_path, capsys) -> None:
    out = tmp_path / "sweep"
    param = ["--param", "design.mechanics.0.tiers.1.rate=0.01,0.03", *SMALL]
    assert cli(capsys, "sweep", QUICK, *param, "--out", str(out))[0] == 0
    code, err = cli(capsys, "sweep", QUICK, *param, "--out", str(out))
    assert code == 0 and "2 reused" in err and "0 computed" in err
    code, err = cli(capsys, "sweep", QUICK, *param, "--out", str(out), "--overwrite")
    assert code == 0 and "0 reused" in err and "2 computed" in err
    run_dir = tmp_path / "run"
    run_into(capsys, run_dir)
    code, err = cli(capsys, "sweep", QUICK, *param, "--out", str(run_dir))
    assert code == 2 and "holds another sweep or results" in err


def test_report_of_a_folder_without_manifest_reads_nothing_else(capsys) -> None:
    code, err = cli(capsys, "report", "/")
    assert code == 2 and "/manifest.json: missing; expected a finished results folder" in err
