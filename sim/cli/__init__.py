"""The ``partnerlab`` command line: shared options and one module per command.

Nothing else in ``sim`` imports it. Command modules import the simulator
inside their handlers, so ``partnerlab --help`` starts fast.
"""
