"""Paired runs and their results.

* ``runner``: replications in batches and in parallel;
* ``lifeline``: worker processes that exit when their parent dies;
* ``api``: :func:`run_scenario` and :func:`compare_scenarios`;
* ``results``: tables and paired-difference summaries; ``stats``: CIs;
* ``store`` and ``folders``: the results folder, written atomically.
"""
