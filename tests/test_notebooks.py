"""Every notebook in notebooks/ runs top to bottom (nbclient, a fresh kernel each)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from helpers import ROOT
from nbclient import NotebookClient

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_six_notebooks() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean_and_executes(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    ).execute()
    images = [
        output for cell in code for output in cell.outputs if "image/png" in output.get("data", {})
    ]
    assert images, "every notebook shows at least one figure"
    warned = [
        output["text"]
        for cell in code
        for output in cell.outputs
        if output.get("name") == "stderr" and "Warning" in output.get("text", "")
    ]
    assert not warned, "notebooks run without warnings"
