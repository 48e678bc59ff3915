"""Paired runs and their results.

* ``runner``: replications in batches and in parallel;
* ``lifeline``: worker processes that exit when their parent dies;
* ``api``: :func:`run_scenario` and :func:`compare_scenarios`;
* ``results``: tables and paired-difference summaries; ``stats``: CIs;
* ``footprint``: the memory a job will hold, estimated before it starts;
* ``outputs``: output places checked before any work, folders written whole;
* ``store`` and ``folders``: the files of a results folder, its manifest and file hashes.
"""
