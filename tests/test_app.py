"""The what-if app without a browser: its form, its session logic and its page as components."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pytest
import solara
from helpers import PARTNERLAB, SCENARIOS, load_small

import sim
from sim.app.form import controls
from sim.app.page import VIEWS, Explorer
from sim.app.session import (
    edited,
    load_upload,
    partner_outcomes,
    scenario_yaml,
)
from sim.errors import ScenarioError
from sim.report.page import money
from sim.scenario.loading import load_scenario

THRESHOLD = "silver › threshold (reseller)"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scenarios folder with the shipped base and a small quickstart (fast runs)."""
    out = tmp_path_factory.mktemp("scenarios")
    (out / "base.yaml").write_text((SCENARIOS / "base.yaml").read_text())
    small = load_small("quickstart", "replications=3")
    (out / "quick.yaml").write_text(scenario_yaml(small, "test"))
    return out


def test_every_control_addresses_a_field_and_reads_back_its_value() -> None:
    scenario = sim.load_scenario(SCENARIOS / "growth_joint_marketing.yaml")
    found = controls(scenario.design)
    assert edited(scenario, {c.path: c.value for c in found if c.value is not None}) == scenario
    kinds = {c.label: c.kind for c in found}
    assert kinds["rate"] == "rate" and kinds["amount (reseller)"] == "money"


def test_the_quickstart_form_has_thresholds_per_archetype_and_nudge_cadence() -> None:
    found = {c.path: c for c in controls(sim.load_scenario(SCENARIOS / "quickstart.yaml").design)}
    tiers = "design.mechanics.0.tiers"
    for archetype, value in (("reseller", 5000), ("integrator", 10000), ("alliance", 25000)):
        assert found[f"{tiers}.1.threshold.{archetype}"].value == value
    rate = found[f"{tiers}.1.rate"]
    assert (rate.kind, rate.low, rate.high) == ("rate", 0.0, 1.0)
    cadence = found["design.mechanics.1.every_weeks"]
    assert (cadence.kind, cadence.value, cadence.low) == ("weeks", 4, 1.0)
    assert found["design.mechanics.1.target"].options == ["all", "near_threshold", "lapsing"]


def test_a_bad_edit_gives_the_command_line_message() -> None:
    scenario = sim.load_scenario(SCENARIOS / "quickstart.yaml")
    path = "design.mechanics.0.tiers.1.rate"
    with pytest.raises(ScenarioError) as caught:
        edited(scenario, {path: 1.5})
    done = subprocess.run(
        [str(PARTNERLAB), "run", str(SCENARIOS / "quickstart.yaml"), "--set", f"{path}=1.5"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"partnerlab: error: {caught.value}"


def test_the_downloaded_yaml_is_the_edited_scenario(tmp_path: Path) -> None:
    scenario = edited(load_small("quickstart"), {"design.mechanics.0.tiers.1.rate": 0.03})
    path = tmp_path / "design.yaml"
    path.write_text(scenario_yaml(scenario, "test"))
    assert load_scenario(path).model_dump() == scenario.model_dump()


def test_uploads_may_extend_only_the_shipped_scenarios(folder: Path) -> None:
    good = b"extends: base.yaml\nname: mine\ndesign: {name: flat 3%}\n"
    assert load_upload("mine.yaml", good, folder).design.name == "flat 3%"
    for parent in ("../base.yaml", "/etc/passwd", str(SCENARIOS / "base.yaml"), "nowhere.yaml"):
        with pytest.raises(ScenarioError, match=r"^up\.yaml: extends: expected a file of"):
            load_upload("up.yaml", f"extends: {parent}\n".encode(), folder)
    with pytest.raises(ScenarioError, match=r"^up\.yaml: horizon_weeks: "):
        load_upload("up.yaml", b"extends: base.yaml\nhorizon_weeks: -1\n", folder)
    with pytest.raises(ScenarioError, match=r"^up\.yaml: expected a UTF-8 YAML"):
        load_upload("up.yaml", b"design: [unclosed", folder)


def test_partner_outcomes_add_up_to_the_world_totals(folder: Path) -> None:
    scenario = load_scenario(folder / "quick.yaml")
    partners = partner_outcomes(scenario)
    runs = sim.run_scenario(scenario, replications=1).runs.set_index("arm")
    for arm in ("baseline", "design"):
        assert partners[f"payout_{arm}"].sum() == pytest.approx(runs.loc[arm, "rewards"])
    np.testing.assert_allclose(
        partners["payout_change"], partners["payout_design"] - partners["payout_baseline"]
    )


def _wait(condition: object, timeout: float = 120) -> None:
    start = time.time()
    while not condition():  # type: ignore[operator]
        assert time.time() - start < timeout, "the page did not update in time"
        time.sleep(0.05)


def _edit(rc: object, label: str, value: str) -> None:
    field = rc.find(v.TextField, label=label)  # type: ignore[attr-defined]
    field.assert_single()
    field.widget.v_model = value
    field.widget.fire_event("focusout", None)


def test_the_page_runs_an_edited_design_and_shows_its_net_lift(folder: Path) -> None:
    box, rc = solara.render(Explorer(folder / "quick.yaml"), handle_error=False)
    _edit(rc, THRESHOLD, "8000")
    rc.find(v.Btn, children=["Run"]).widget.click()
    shown = rc.find(v.Html, class_="net-lift")
    _wait(lambda: len(shown._reexecute_find()) > 0)
    expected = sim.run_scenario(
        edited(
            load_scenario(folder / "quick.yaml"),
            {"design.mechanics.0.tiers.1.threshold.reseller": 8000.0},
        )
    ).summary["total"]["net_lift"]
    assert shown._reexecute_find().widget.children == [f"Net lift {money(expected.mean)}"]


def test_the_page_shows_a_bad_edit_and_will_not_run_it(folder: Path) -> None:
    box, rc = solara.render(Explorer(folder / "quick.yaml"), handle_error=False)
    _edit(rc, "gold › threshold (reseller)", "100")  # below silver: thresholds must increase
    error = rc.find(v.Alert, class_="edit-error")
    error.assert_single()
    assert "expected thresholds that increase" in str(error.widget.children)
    assert rc.find(v.Btn, children=["Run"]).widget.disabled


def test_pinned_designs_are_compared_with_a_verdict(folder: Path) -> None:
    box, rc = solara.render(Explorer(folder / "quick.yaml"), handle_error=False)
    rc.find(v.Btn, children=["Pin for comparison (0/4)"]).widget.click()
    _edit(rc, "silver › rate", "0.01")
    rc.find(v.Btn, children=["Pin for comparison (1/4)"]).widget.click()
    rc.find(v.BtnToggle).widget.v_model = VIEWS.index("Compare")  # what a click sends
    rc.find(v.Btn, children=["Compare pinned designs"]).widget.click()
    verdict = rc.find(v.Html, class_="verdict")
    _wait(lambda: len(verdict._reexecute_find()) > 0)
    text = str(verdict._reexecute_find().widget.children)
    assert "beats today's program" in text or "No design beats today's program" in text
