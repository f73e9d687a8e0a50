"""Screenshots of rendered HTML in headless Chromium, to check how a document looks in a browser."""

import subprocess
import tempfile
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# A4 at 150 dpi: a whole sheet fits the window.
A4_WINDOW = (1240, 1754)
# Without the background-networking flags Chromium keeps dialling Google on a closed network (python-svc.md).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def screenshot(
    html: Path, png: Path, *, size: tuple[int, int] = A4_WINDOW, chromium: Path = CHROMIUM, timeout: float = 90
) -> Path:
    """Render a local HTML file to a PNG of the given window size; raise RuntimeError with Chromium's output on failure."""
    png = Path(png).resolve()
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="ikz-chromium-") as profile:
        result = subprocess.run(
            [
                str(chromium),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                f"--window-size={size[0]},{size[1]}",
                Path(html).resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    if result.returncode != 0 or not png.exists():
        raise RuntimeError(f"Chromium exit {result.returncode}: {result.stderr[-2000:]}")
    return png
