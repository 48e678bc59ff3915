"""Calibration to a company's partner history: the format, the fit, the posterior, the checks.

``partnerlab history`` writes a history (:mod:`sim.calibration.generate`);
``partnerlab calibrate`` reads one (:mod:`sim.calibration.reading`), fits the
behaviour it names by simulation (:mod:`sim.calibration.calibrate`) and
writes the calibration folder (:mod:`sim.calibration.output`).
``docs/calibration.md`` explains the method.
"""
