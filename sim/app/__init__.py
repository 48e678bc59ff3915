"""The what-if app: edit a design, run it, compare designs, in a browser or a notebook.

``partnerlab app`` serves it (:mod:`sim.app.server`); in a notebook, the
last expression of a cell ``sim.app.Explorer("scenarios/quickstart.yaml")``
shows the same page. :mod:`sim.app.session` is what it does, without a page;
:mod:`sim.app.form` generates the design's form from the scenario schema.
See ``docs/app.md``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Explorer"]


def __getattr__(name: str) -> Any:
    """``Explorer``, imported on first use (Solara loads only when the page is wanted)."""
    if name == "Explorer":
        from sim.app.page import Explorer

        return Explorer
    raise AttributeError(f"module 'sim.app' has no attribute {name!r}")
