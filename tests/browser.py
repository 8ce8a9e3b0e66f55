"""What the browser tests share: the machine's Chromium and how it is launched."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


def require_chromium() -> None:
    """Skip the calling test module when the machine has no Chromium (call it at module level)."""
    if not CHROMIUM.exists():
        pytest.skip("browser test needs Chromium at /usr/bin/chromium (apt-get install chromium)",
                    allow_module_level=True)
