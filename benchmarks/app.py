"""How fast the what-if page answers: a 600-partner, 8-replication run after the click.

Renders the app's page as Solara components in this process (no browser),
on the shipped quickstart (600 partners, 52 weeks, 8 replications), changes
the resellers' silver threshold and presses Run, several times. For each
click it measures the CPU time of the process (every thread: the run, the
page's updates, the figures) until

* the headline net lift shows (the answer), and
* every figure of the open view (Weekly: three figures) is drawn.

The first click is a warm-up (imports, fonts) and not counted. CPU time, not
wall time, because the machine is shared: wall time is printed for reference.

Usage::

    .venv/bin/python benchmarks/app.py [--clicks 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIELD = "silver › threshold (reseller)"


def _until(condition: Any, timeout: float = 300) -> None:
    start = time.time()
    while not condition():
        if time.time() - start > timeout:
            raise TimeoutError("the page did not update")
        time.sleep(0.02)


def measure(clicks: int) -> list[dict[str, float]]:
    """Per counted click: CPU and wall seconds to the headline and to every figure."""
    import ipyvuetify as v
    import ipywidgets
    import solara

    from sim.app.page import Explorer

    _, rc = solara.render(Explorer(ROOT / "scenarios" / "quickstart.yaml"), handle_error=False)

    def headline() -> Any:
        found = rc.find(v.Html, class_="net-lift")
        return found.widgets[0].children if len(found) else None

    def figures_drawn() -> bool:
        return len(rc.find(ipywidgets.Image)) == 3 and len(rc.find(v.ProgressLinear)) == 0

    rows = []
    for click in range(clicks + 1):
        field = rc.find(v.TextField, label=FIELD)
        field.widget.v_model = str(6000 + 500 * click)
        field.widget.fire_event("focusout", None)
        before = headline()
        cpu, wall = time.process_time(), time.perf_counter()
        rc.find(v.Btn, children=["Run"]).widget.click()
        _until(lambda before=before: headline() != before)
        answer = (time.process_time() - cpu, time.perf_counter() - wall)
        _until(figures_drawn)
        drawn = (time.process_time() - cpu, time.perf_counter() - wall)
        if click:
            rows.append(
                {
                    "headline_cpu_s": answer[0],
                    "headline_wall_s": answer[1],
                    "figures_cpu_s": drawn[0],
                    "figures_wall_s": drawn[1],
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=5, help="counted clicks (after a warm-up)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    rows = measure(args.clicks)
    median = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
    if args.json:
        print(json.dumps({"clicks": rows, "median": median}, indent=2))
        return
    print(f"quickstart, 600 partners x 52 weeks x 8 replications; median of {len(rows)} clicks:")
    print(
        f"  net lift shown:   {median['headline_cpu_s']:.2f} s CPU "
        f"({median['headline_wall_s']:.2f} s wall)"
    )
    print(
        f"  figures drawn:    {median['figures_cpu_s']:.2f} s CPU "
        f"({median['figures_wall_s']:.2f} s wall)"
    )


if __name__ == "__main__":
    main()
