"""Pilots and experiment matrices.

``spec`` reads the ``pilot:`` section; ``assignment`` picks and randomizes
pilot partners; ``plan`` and ``worlds`` hold a pilot's plan and the worlds it
runs in; ``simulated`` runs and aggregates simulated pilots (``parallel``
spreads them over processes); ``estimators`` fit the estimators;
``planning`` grades them and sizes a pilot; ``matrix_design`` and ``matrix``
build and run factorial experiment matrices.
"""
