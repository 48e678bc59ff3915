"""Partner archetypes as Mesa agents with vectorized behaviour.

Public names: :class:`Partner` (the base), :class:`Reseller`,
:class:`Integrator`, :class:`Alliance`, and :data:`ARCHETYPES`, the registry
that maps a scenario file's archetype name to its class. A new archetype is a
new ``Partner`` subclass with an ``archetype`` name; it registers itself.
"""

from agents.archetypes import Alliance, Integrator, Reseller
from agents.partner import (
    ACTIVE,
    CHURNED,
    DORMANT,
    PROSPECT,
    Partner,
    PartnerParams,
    in_channel,
)
from agents.traits import Traits

ARCHETYPES = Partner.registry

__all__ = [
    "ACTIVE",
    "ARCHETYPES",
    "CHURNED",
    "DORMANT",
    "PROSPECT",
    "Alliance",
    "Integrator",
    "Partner",
    "PartnerParams",
    "Reseller",
    "Traits",
    "in_channel",
]
