"""Headless Chromium for the browser tests (imported as ``browser``), driven by Playwright.

Playwright's own browser download needs the internet, so the tests drive
Debian's Chromium (``/usr/bin/chromium``, installed by ``.ci/run``), started
headless as root with a fresh profile and no background networking. Without
Chromium the tests are skipped on a developer's machine and fail in CI
(``CI`` set), where they must run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def need_chromium() -> None:
    """Skip without Chromium, except in CI, where a missing browser is a failure."""
    if CHROMIUM.exists():
        return
    message = f"no Chromium at {CHROMIUM}: apt-get install chromium (see .ci/run)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def page(profile: Path, screenshot: Path) -> Iterator[Page]:
    """A page of a fresh headless Chromium; on failure, a screenshot is saved to ``screenshot``."""
    need_chromium()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            accept_downloads=True,
            viewport={"width": 1280, "height": 1000},
        )
        tab = context.new_page()
        try:
            yield tab
        except BaseException:
            tab.screenshot(path=str(screenshot), full_page=True)
            print(f"screenshot of the failing page: {screenshot}")
            raise
        finally:
            context.close()


def free_port() -> int:
    """A TCP port nothing listens on, on the loopback address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Wait until a server listens on ``port`` (fails if the process exits first)."""
    start = time.time()
    while time.time() - start < timeout:
        assert process.poll() is None, "the server exited before listening"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listened on port {port} within {timeout} s")
