"""Scenario files: the schema, the program and its levers' registry, loading, the calendar.

* ``schema``: :class:`Scenario` and its sections;
* ``program``: the program, what every lever's YAML shares, guardrails;
* ``registry``: every ``type:`` a scenario can name;
* ``fields``: strict models, rates, money, per-archetype values;
* ``reading``: YAML text within limits (size, nesting, aliases), plain data only;
* ``loading``: files, ``extends:``, ``--set`` overrides, one-line errors;
* ``calendar``: weeks, quarters, years.
"""
