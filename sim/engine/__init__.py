"""The engine: the Mesa model of one arm and its week.

* ``model``: :class:`PartnerProgramModel`, what lives across weeks;
* ``phases``: the weekly step as an ordered list of phases, each declaring
  the flows it reads and writes;
* ``rules``: archetypes' decision rules applied to their rows;
* ``timing``: the deal-timing game at period ends;
* ``accounting``: money per partner and the weekly series.
"""
