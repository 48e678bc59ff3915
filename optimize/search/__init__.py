"""Design optimization with Optuna.

The ``search:`` section and its space, the objective on fixed worlds,
studies and storages, the result and its files and figures.
"""
