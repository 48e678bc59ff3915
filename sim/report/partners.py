"""Partner by partner: what each is paid under each program, and who gains and who loses.

Both take one world's partners (``sim.app.session.partner_outcomes``: one
row per partner with ``archetype``, ``size_band``, ``payout_baseline``,
``payout_design``, ``payout_change`` and ``net_change``). A design can pay
most partners more and still lose money, or pay a few a lot: these show
which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.report.style import ARM_COLOURS, PALETTE, figure, labels, money_axis

#: How many partners' payouts must differ by to count as changed ($).
CHANGED = 1.0


def payout_distribution(partners: pd.DataFrame, design_name: str = "design") -> Figure:
    """Payout per partner over the horizon under each program (histograms, paid partners).

    Partners paid nothing under a program are counted in the legend, not
    drawn: most of a long tail is near zero.
    """
    fig, (ax,) = figure(8, 4.2)
    paid = partners[["payout_baseline", "payout_design"]]
    top = float(paid.to_numpy().max()) if len(paid) else 0.0
    bins = list(np.linspace(0, top or 1.0, 31))
    for column, arm, name in (
        ("payout_baseline", "baseline", "baseline"),
        ("payout_design", "design", design_name),
    ):
        values = partners[column].to_numpy()
        unpaid = int((values <= 0).sum())
        ax.hist(
            values[values > 0],
            bins=bins,
            color=ARM_COLOURS[arm],
            alpha=0.55,
            label=f"{name} ({unpaid:,} partners paid nothing)",
        )
    money_axis(ax.xaxis)
    labels(
        ax,
        "Payout to one partner over the horizon ($)",
        "Partners",
        "Payout distribution, one simulated world",
    )
    ax.legend(loc="upper right", fontsize="small")
    return fig


def gain_and_loss(partners: pd.DataFrame) -> pd.DataFrame:
    """By archetype and size band: partners paid more, paid less, and the money that moves.

    Columns: ``partners``, ``paid_more``, ``paid_less``, ``payout_change``
    (total, $) and ``net_change`` (the vendor's net on those partners, $).
    """
    change = partners["payout_change"]
    frame = partners.assign(partners=1, paid_more=change > CHANGED, paid_less=change < -CHANGED)
    columns = ["partners", "paid_more", "paid_less", "payout_change", "net_change"]
    order = {"archetype": list(dict.fromkeys(partners["archetype"]))}
    table = frame.groupby(["archetype", "size_band"], sort=False)[columns].sum()
    table[["paid_more", "paid_less"]] = table[["paid_more", "paid_less"]].astype(int)
    return table.reindex(order["archetype"], level="archetype")


def gainers_and_losers(partners: pd.DataFrame) -> Figure:
    """Every partner's change in payout, sorted, coloured by archetype: who gains and who loses."""
    ordered = partners.sort_values("payout_change").reset_index(drop=True)
    fig, (ax,) = figure(8, 4.2)
    for i, archetype in enumerate(dict.fromkeys(partners["archetype"])):
        rows = ordered[ordered["archetype"] == archetype]
        ax.bar(
            rows.index,
            rows["payout_change"],
            width=1.0,
            color=PALETTE[(i + 2) % len(PALETTE)],
            label=archetype,
        )
    ax.axhline(0, color="grey", linewidth=0.8)
    money_axis(ax.yaxis)
    more = int((partners["payout_change"] > CHANGED).sum())
    less = int((partners["payout_change"] < -CHANGED).sum())
    labels(
        ax,
        "Partners, from the largest cut in payout to the largest rise",
        "Payout, design minus baseline ($)",
        f"Who gains and who loses: {more:,} partners paid more, {less:,} paid less",
    )
    ax.legend(title="Partner type", loc="upper left")
    return fig
