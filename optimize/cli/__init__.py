"""The ``optimize``, ``sweep`` and ``sensitivity`` commands, on ``sim.cli``'s shared options."""
