"""The year before week 0: the deals open when the program starts, and last year's revenue.

Opportunities of the ``ring - 1 + 52`` weeks before week 0 are drawn at
business-as-usual flow (effort 1, baseline engagement), one vectorized pass
per chunk of weeks. Deals closing from week 0 on are the opening pipeline;
deals won before it date each partner's last win (partners without a win in
``dormancy_weeks`` start dormant) and, over the 52 weeks before week 0, give
last year's revenue by quarter (growth rewards and pilot pre-periods compare
against it). Channel conflict and returns apply in expectation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agents import ACTIVE, DORMANT, PROSPECT, Traits
from sim.scenario.calendar import PRIOR_WEEKS, QUARTER
from sim.scenario.schema import Market
from sim.world.market import demand_index
from sim.world.pipeline import DealTerms, Pipeline, arrivals
from sim.world.population import ramp
from sim.world.streams import stream

FloatArray = npt.NDArray[np.float64]
#: Random numbers drawn at once, at most, while replaying the history (bounded memory).
CHUNK_NUMBERS = 4_000_000


@dataclass(frozen=True)
class History:
    """What the year before week 0 leaves each partner with."""

    status: npt.NDArray[np.int8]  # active, or dormant after a long time without a win
    weeks_since_win: FloatArray
    prior_revenue: FloatArray  # [4, partners]: revenue by quarter of the year before week 0


def replay_history(
    market: Market,
    traits: Traits,
    base_rate: FloatArray,
    joined: FloatArray,
    terms: DealTerms,
    pipeline: Pipeline,
    seed: int,
    replication: int,
) -> History:
    """Open the deals in ``pipeline`` at week 0 and record the year before it.

    Draws from the streams ``history.*`` of (seed, replication).
    """
    partners = base_rate.size
    ring = pipeline.ring_weeks
    streams = {
        p: stream(seed, replication, f"history.{p}")
        for p in ("arrival", "deal_value", "cycle", "win")
    }
    span = ring - 1 + PRIOR_WEEKS  # every deal open at week 0 or booked in the prior year
    last_win = np.full(partners, -float(span))
    prior_revenue = np.zeros((4, partners))
    chunk = max(1, min(span, CHUNK_NUMBERS // max(partners, 1)))
    # The market's channel conflict and returns, in expectation, as in the simulated weeks.
    conflict, returns = market.channel_conflict, market.returns
    win_rate = terms.win_rate * (1.0 - conflict.rate * conflict.loss)
    kept = (1.0 - traits.customer_discount) * (1.0 - returns.rate)
    # Only partners new at week 0, and recruits (not joined yet), are below their full rate.
    ramping = np.flatnonzero(joined + traits.ramp_weeks > -span)
    for first in range(-span, 0, chunk):
        weeks = np.arange(first, min(first + chunk, 0))
        rate = base_rate * demand_index(market, weeks)[:, None]
        rate[:, ramping] *= ramp(
            weeks[:, None],
            joined[ramping],
            traits.ramp_weeks[ramping],
            traits.new_partner_activity[ramping],
        )
        index, count = arrivals(rate, streams["arrival"].random(rate.shape))
        k = count.size
        new = terms.open(
            index[1],
            count,
            streams["deal_value"].standard_normal(k),
            streams["cycle"].random(k),
            streams["win"].random(k),
            win_rate=win_rate[index[1]],
        )
        arrival = weeks[index[0]]
        close = arrival + new.cycle
        past = new.won & (close < 0)
        np.maximum.at(last_win, new.rows[past], close[past])
        last_year = past & (close >= -PRIOR_WEEKS)
        rows = new.rows[last_year]
        quarter = (close[last_year] + PRIOR_WEEKS) // QUARTER
        booked = new.value[last_year] * kept[rows]
        np.add.at(prior_revenue, (quarter, rows), booked)
        future = close >= 0
        pipeline.add(arrival[future], new.where(future))
    # Weeks without a win count from the last win, or from joining; recruits join later.
    since_win = np.clip(np.minimum(-last_win - 1.0, -joined), 0.0, None)
    status = np.where(since_win > traits.dormancy_weeks, DORMANT, ACTIVE)
    status = np.where(joined > 0, PROSPECT, status).astype(np.int8)
    return History(status=status, weeks_since_win=since_win, prior_revenue=prior_revenue)
