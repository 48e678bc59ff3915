"""Each figure of sim.report.plots on small real results: labels, artists and the numbers drawn."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SCENARIOS, load_small
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection, PolyCollection, QuadMesh
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

import optimize
import sim
from sim.report import plots
from sim.report.style import MoneyFormatter, money_text

REPLICATIONS = 4
DESIGNS = ("quickstart", "quarterly_bonus", "weekly_email")


@pytest.fixture(scope="module")
def run() -> sim.RunResults:
    return sim.run_scenario(load_small("quickstart"), replications=REPLICATIONS, seed=3)


@pytest.fixture(scope="module")
def compare() -> sim.CompareResults:
    scenarios = [load_small(name) for name in DESIGNS]
    return sim.compare_scenarios(scenarios, replications=REPLICATIONS, seed=3)


def test_net_lift_distribution_draws_every_world_and_the_mean(run: sim.RunResults) -> None:
    fig = plots.net_lift_distribution(run)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("Net lift") and "($" in ax.get_xlabel()
    assert ax.get_ylabel() == "Design"
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points) == 1 and len(points[0].get_offsets()) == REPLICATIONS
    np.testing.assert_allclose(
        sorted(points[0].get_offsets()[:, 0]), sorted(run.paired()["net_lift"])
    )
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 1
    mean_x = bars[0].lines[0].get_xdata()[0]
    assert mean_x == pytest.approx(run.summary["total"]["net_lift"].mean)


def test_net_lift_distribution_has_one_row_per_design(compare: sim.CompareResults) -> None:
    ax = plots.net_lift_distribution(compare).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == list(compare.ranking["design"])  # best first, like the ranking
    assert len([c for c in ax.containers if isinstance(c, ErrorbarContainer)]) == len(DESIGNS)


def test_cumulative_net_lift_ends_at_the_run_net_lift(run: sim.RunResults) -> None:
    ax = plots.cumulative_net_lift(run.timeseries).axes[0]
    assert ax.get_xlabel().startswith("Week") and ax.get_ylabel() == "Cumulative net lift ($)"
    line = ax.lines[0]
    assert len(line.get_xdata()) == run.scenario.horizon_weeks
    assert line.get_ydata()[-1] == pytest.approx(run.summary["total"]["net_lift"].mean, rel=1e-9)
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 1  # the CI band


def test_quarter_hockey_stick_averages_weekly_revenue(run: sim.RunResults) -> None:
    ax = plots.quarter_hockey_stick(run.timeseries, design_name="ladder").axes[0]
    assert ax.get_xlabel() == "Week within the quarter"
    assert ax.get_ylabel() == "Channel revenue per week ($)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["baseline", "ladder"]
    weeks = run.scenario.horizon_weeks
    for line, arm in zip(ax.lines, ("baseline", "design"), strict=True):
        assert len(line.get_xdata()) == 13
        yearly = run.runs.loc[run.runs["arm"] == arm, "revenue"].mean()
        # 52 weeks = 4 full quarters, so the mean over weeks-in-quarter is the weekly mean
        assert np.mean(line.get_ydata()) == pytest.approx(yearly / weeks, rel=1e-9)


def test_segment_heatmap_cells_add_up_to_the_total(run: sim.RunResults) -> None:
    ax = plots.segment_heatmap(run.segments).axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Size band", "Archetype")
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    cells = np.asarray(mesh.get_array()).reshape(3, 3)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["reseller", "integrator", "alliance"]
    assert cells.sum() == pytest.approx(run.summary["total"]["net_lift"].mean, rel=1e-9)
    assert len(ax.texts) == 9  # one annotation per segment


def test_roi_vs_cost_places_each_design_at_its_estimates(compare: sim.CompareResults) -> None:
    ax = plots.roi_vs_cost(compare).axes[0]
    assert ax.get_xlabel() == "Incremental program cost ($)"
    assert "ROI" in ax.get_ylabel() and "(x)" in ax.get_ylabel()
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    defined = [r for r in compare.ranking.to_dict("records") if r["roi"].mean is not None]
    assert len(bars) == len(defined)
    for bar, row in zip(bars, defined, strict=True):
        assert bar.lines[0].get_xdata()[0] == pytest.approx(row["incremental_cost"].mean)
        assert bar.lines[0].get_ydata()[0] == pytest.approx(row["roi"].mean)


@pytest.fixture(scope="module")
def sweep_points(tmp_path_factory: pytest.TempPathFactory) -> optimize.SweepResult:
    return optimize.sweep(
        load_small("quickstart"),
        ["design.mechanics.0.tiers.1.rate=0.01,0.03", "design.mechanics.0.tiers.2.rate=0.03,0.05"],
        replications=2,
        seed=3,
        out=tmp_path_factory.mktemp("sweep"),
    )


def test_sweep_surface_one_and_two_parameters(sweep_points: optimize.SweepResult) -> None:
    points = sweep_points.points
    first, second = sweep_points.design.paths
    one = points[points[second] == 0.03]
    ax = plots.sweep_surface(one, [first]).axes[0]
    assert ax.get_xlabel() == first and ax.get_ylabel() == "Net lift ($)"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), one.sort_values(first)["net_lift"])
    fig = plots.sweep_surface(points, [first, second])
    ax, bar = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == (first, second)
    assert len(ax.collections[0].get_offsets()) == 4
    assert bar.get_ylabel() == "Mean net lift ($)"
    with pytest.raises(ValueError, match="one or two parameter columns"):
        plots.sweep_surface(points, ["no.such.path"])


PILOT_OVERRIDES = (
    "pilot.planning.partners=[200, 600]",
    "pilot.planning.weeks=[13, 26]",
    "pilot.planning.simulations=10",
)


def test_power_curve_draws_each_duration(tmp_path_factory: pytest.TempPathFactory) -> None:
    from sim.pilot.planning import run_pilot

    pilot = run_pilot(
        sim.load_scenario(SCENARIOS / "pilot_rebate.yaml", list(PILOT_OVERRIDES)),
        simulations=10,
        seed=3,
    )
    curve = pilot.curve
    assert curve is not None
    ax = plots.power_curve(curve, target=0.8).axes[0]
    assert ax.get_xlabel() == "Pilot partners, all arms (partners)"
    assert ax.get_ylabel().startswith("Power")
    # per duration a power line and its lower bound, then the target line
    assert len(ax.lines) == 2 * 2 + 1
    thirteen = curve[curve["weeks"] == 13].sort_values("partners")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), thirteen["power"])
    assert all(ax.lines[1].get_ydata() <= ax.lines[0].get_ydata())
    assert ax.lines[-1].get_ydata()[0] == 0.8


# -- readable at a glance: money labels, tick labels that never overlap ---------------------
def overlapping_ticks(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of tick labels whose drawn boxes overlap, on any axis of ``fig`` (Agg renderer)."""
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    clashes = []
    for ax in fig.axes:
        for ticks in (ax.get_xticklabels(), ax.get_yticklabels()):
            shown = [t for t in ticks if t.get_visible() and t.get_text()]
            boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in shown]
            clashes += [
                (a, b)
                for i, (a, box) in enumerate(boxes)
                for b, other in boxes[i + 1 :]
                if box.overlaps(other)
            ]
    return clashes


def test_money_labels_read_in_k_and_m() -> None:
    assert [money_text(v) for v in (-400_000, 12_500, 1_234_567, 75, -0.2)] == [
        "-$400k",
        "$12.5k",
        "$1.23M",
        "$75",
        "$0",
    ]
    formatter = MoneyFormatter()
    formatter.set_locs([-400_000, -350_000, -300_000])
    assert [formatter(v) for v in formatter.ticks] == ["-$400k", "-$350k", "-$300k"]
    formatter.set_locs([0, 500_000, 1_000_000, 1_500_000])
    assert [formatter(v) for v in formatter.ticks] == ["$0", "$0.5M", "$1.0M", "$1.5M"]


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3, 1e5])
def test_money_axes_never_overlap_at_any_scale(run: sim.RunResults, scale: float) -> None:
    series = run.timeseries.copy()
    series[["gross_profit", "program_cost", "revenue"]] *= scale
    segments = run.segments.copy()
    segments[["gross_profit", "program_cost", "revenue"]] *= scale
    for fig in (
        plots.cumulative_net_lift(series),
        plots.quarter_hockey_stick(series),
        plots.archetype_trajectory(series),
        plots.segment_heatmap(segments),
    ):
        assert overlapping_ticks(fig) == []


def test_no_figure_of_the_reports_has_overlapping_tick_labels(
    run: sim.RunResults, compare: sim.CompareResults
) -> None:
    names = list(compare.ranking["design"])
    limit = plots.common_limit(compare.segments, names)
    figures = [
        plots.net_lift_distribution(run),
        plots.net_lift_distribution(compare),
        plots.roi_vs_cost(compare),
        plots.tier_migration(run),
        plots.archetype_trajectory(compare.timeseries, {n: n for n in names}),
        *[plots.segment_heatmap(compare.segments, n, limit=limit) for n in names],
    ]
    for fig in figures:
        assert overlapping_ticks(fig) == [], fig.axes[0].get_title()


def test_compared_heatmaps_share_one_colour_scale(compare: sim.CompareResults) -> None:
    names = list(compare.ranking["design"])
    limit = plots.common_limit(compare.segments, names)
    largest = max(np.abs(plots.segment_table(compare.segments, n).to_numpy()).max() for n in names)
    assert limit == pytest.approx(largest)
    for name in names:
        mesh = next(
            c
            for c in plots.segment_heatmap(compare.segments, name, limit=limit).axes[0].collections
            if isinstance(c, QuadMesh)
        )
        assert mesh.get_clim() == (-limit, limit)


def test_the_weekly_profile_has_a_band_and_trajectories_end_at_each_archetypes_lift(
    run: sim.RunResults,
) -> None:
    ax = plots.quarter_hockey_stick(run.timeseries).axes[0]
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2  # two bands
    fig = plots.archetype_trajectory(run.timeseries)
    by_archetype = run.summary["by_archetype"]
    assert [ax.get_title() for ax in fig.axes] == list(by_archetype)
    for ax, estimates in zip(fig.axes, by_archetype.values(), strict=True):
        assert ax.lines[0].get_ydata()[-1] == pytest.approx(estimates["net_lift"].mean)
