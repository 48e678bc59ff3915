"""End to end in headless Chromium: the app as a strategist uses it, and the HTML report as shown.

The app test starts ``partnerlab app`` on a free loopback port, loads the
page, changes a threshold, runs the design, downloads its YAML, and checks
that the net lift on the page is what ``partnerlab run --json`` gives for the
downloaded file. On failure each test saves a screenshot of the page (its
path is printed).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import browser
import pytest
from helpers import PARTNERLAB, SCENARIOS, load_small

import sim
from sim.app.session import scenario_yaml
from sim.report.html import write_report
from sim.report.page import money
from sim.runs.folders import save_run
from sim.scenario.loading import load_scenario

THRESHOLD = "silver › threshold (reseller)"
#: Playwright waits (ms): the first page load compiles the page's scripts.
PATIENCE = 120_000


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``partnerlab app`` serving a small quickstart, on a free port of 127.0.0.1."""
    browser.need_chromium()
    folder = tmp_path_factory.mktemp("scenarios")
    (folder / "base.yaml").write_text((SCENARIOS / "base.yaml").read_text())
    (folder / "quick.yaml").write_text(scenario_yaml(load_small("quickstart"), "test"))
    port = browser.free_port()
    command = [str(PARTNERLAB), "app", str(folder / "quick.yaml"), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        browser.wait_for_port(port, server)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_net_lift_shown_is_what_partnerlab_run_gives_for_the_download(
    app_url: str, tmp_path: Path
) -> None:
    design = tmp_path / "design.yaml"
    with browser.page(tmp_path / "profile", tmp_path / "app-failure.png") as tab:
        tab.goto(app_url)
        field = tab.get_by_label(THRESHOLD)
        field.wait_for(timeout=PATIENCE)
        field.fill("8000")
        field.press("Enter")
        tab.get_by_role("button", name="Run", exact=True).click()
        shown = tab.locator(".net-lift")
        shown.wait_for(timeout=PATIENCE)
        text = shown.inner_text()
        with tab.expect_download(timeout=PATIENCE) as download:
            tab.get_by_role("button", name="Download scenario YAML").click()
        download.value.save_as(design)
    done = subprocess.run(
        [str(PARTNERLAB), "run", str(design), "--json", "--no-progress"]
        + ["--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert load_scenario(design).design.mechanics[0].tiers[1].threshold["reseller"] == 8000
    assert text == f"Net lift {money(json.loads(done.stdout)['net_lift']['mean'])}"


def test_the_run_report_shows_every_figure_within_the_page(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    save_run(sim.run_scenario(load_small("quickstart"), replications=3), folder, ["test"])
    report = write_report(folder)
    with browser.page(tmp_path / "profile", tmp_path / "report-failure.png") as tab:
        tab.goto(report.as_uri())
        images = tab.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.clientWidth])"
        )
        overflow = tab.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert len(images) == 6
    assert all(done and natural > 0 and 0 < shown <= 980 for done, natural, shown in images)
    assert overflow <= 0  # nothing sticks out sideways
