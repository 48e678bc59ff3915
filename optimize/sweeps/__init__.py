"""Parameter sweeps and sensitivity analysis.

Designs of points (grid, Latin hypercube, Sobol'), streamed to resumable
folders on loky or Dask; Sobol' and Morris indices with SALib.
"""
