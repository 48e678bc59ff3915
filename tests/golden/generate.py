"""Regenerate the golden ``run --json`` files (``tests/test_golden.py``).

Run it only in a change that is meant to move the numbers, and say why in
the commit::

    .venv/bin/python tests/golden/generate.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from helpers import SCENARIOS  # noqa: E402
from test_golden import GOLDEN, run_json  # noqa: E402


def main() -> None:
    """Write ``tests/golden/<scenario>.json`` for every shipped scenario."""
    for scenario in sorted(SCENARIOS.glob("*.yaml")):
        with tempfile.TemporaryDirectory() as out:
            text = run_json(scenario, Path(out) / "run")
        (GOLDEN / f"{scenario.stem}.json").write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN / scenario.stem}.json", file=sys.stderr)


if __name__ == "__main__":
    main()
