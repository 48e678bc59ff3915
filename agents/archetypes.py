"""The three partner archetypes and the evidence behind their defaults.

Each archetype is a :class:`~agents.partner.Partner` subclass whose ``defaults``
override the shared :class:`~agents.partner.PartnerParams` defaults. Magnitudes
are calibrated so that the default population reproduces the stylized facts in
``docs/model.md`` (heavy-tailed revenue, a minority of partners active in any
quarter). Effort elasticities sit below employed-salesforce estimates (near 1,
Misra and Nair 2011) because partners sell for several vendors.
"""

from __future__ import annotations

from typing import Any, ClassVar

from agents.partner import Partner


class Reseller(Partner):
    """A transactional reseller: many small deals, cycles of 2 to 8 weeks.

    Margin- and rebate-driven, so it has the most elastic effort (0.8).
    """

    archetype: ClassVar[str] = "reseller"
    defaults: ClassVar[dict[str, Any]] = {
        "size_sigma": 1.0,
        "opportunity_rate": 0.10,
        "deal_size": 8_000.0,
        "win_rate": 0.35,
        "cycle_weeks_min": 2,
        "cycle_weeks_max": 8,
        "customer_discount": 0.05,
        "partner_margin": 0.15,
        "effort_elasticity": 0.8,
        "entry_rate": 0.06,
        "movable_share": 0.5,
        "discount_funding": 0.5,
    }


class Integrator(Partner):
    """A services-led systems integrator: fewer, larger deals, cycles of 13 to 52 weeks.

    Product margin matters less than services pull-through, so effort is less
    elastic to rebates (0.5).
    """

    archetype: ClassVar[str] = "integrator"
    defaults: ClassVar[dict[str, Any]] = {
        "size_sigma": 0.9,
        "opportunity_rate": 0.04,
        "deal_size": 85_000.0,
        "deal_size_sigma": 0.7,
        "win_rate": 0.30,
        "cycle_weeks_min": 13,
        "cycle_weeks_max": 52,
        "customer_discount": 0.08,
        "partner_margin": 0.20,
        "effort_elasticity": 0.5,
        "churn_rate": 0.003,
        "dormancy_weeks": 39,
        "entry_rate": 0.075,
        "movable_share": 0.8,
    }


class Alliance(Partner):
    """A technology alliance: few very large co-sold deals, cycles of 26 to 78 weeks.

    Rebates are a small part of its economics (elasticity 0.3); it responds
    more to co-marketing funds and recognition.
    """

    archetype: ClassVar[str] = "alliance"
    defaults: ClassVar[dict[str, Any]] = {
        "size_sigma": 0.8,
        "opportunity_rate": 0.02,
        "deal_size": 250_000.0,
        "deal_size_sigma": 0.8,
        "win_rate": 0.25,
        "cycle_weeks_min": 26,
        "cycle_weeks_max": 78,
        "customer_discount": 0.10,
        "partner_margin": 0.10,
        "effort_elasticity": 0.3,
        "churn_rate": 0.002,
        "dormancy_weeks": 52,
        "entry_rate": 0.065,
        "movable_share": 0.8,
    }
