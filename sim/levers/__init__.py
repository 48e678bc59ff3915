"""Program levers: one module per lever family, each its YAML schema and run-time component.

A lever module registers itself (:mod:`sim.scenario.registry`). What the
levers share: ``base`` (the component and its weekly hooks), ``roles`` (what
only some do), ``effects`` (what they exchange with the engine), ``period``
and ``period_reward`` (levers judged on a period measure), ``schedule``
(reward schedules), ``guardrails`` (budget, deferral, clawback) and
``build`` (a program's components).
"""
