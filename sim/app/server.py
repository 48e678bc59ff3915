"""Serving the what-if page on this machine: Solara's Starlette app under uvicorn.

The server listens on the loopback address unless told otherwise, sends no
usage statistics and loads every script and font from the installed
``solara-assets`` package, so it runs without a network.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.app.page import SCENARIO_ENV

#: Solara settings of the page: the module with ``Page``, production mode, no telemetry.
SETTINGS = {
    "SOLARA_APP": "sim.app.page",
    "SOLARA_MODE": "production",
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
}


def serve(scenario: Path | None, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the page at ``http://host:port/`` until interrupted, starting on ``scenario``."""
    os.environ.update(SETTINGS)
    if scenario is not None:
        os.environ[SCENARIO_ENV] = str(Path(scenario).resolve())
    import uvicorn  # after the settings: Solara reads them when its server loads

    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
