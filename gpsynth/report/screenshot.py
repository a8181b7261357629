"""A PNG of a report page, rendered by headless Chromium (Debian's `chromium` package) with no network.

    python -m gpsynth.report.screenshot report.html report.png [--width 1200 --height 2600]
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import click

from ..cli_options import OneLineErrors
from ..errors import GpsynthError

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--hide-scrollbars")


def find_chromium() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def screenshot(page: Path | str, png: Path | str, width: int = 1200, height: int = 2600, timeout: float = 60) -> Path:
    """Render the HTML file `page` at width × height pixels and write it to `png`."""
    page, png = Path(page).resolve(), Path(png).resolve()
    browser = find_chromium()
    if browser is None:
        raise GpsynthError(f"no Chromium found (looked for {', '.join(BROWSERS)}); on Debian: apt-get install chromium")
    if not page.is_file():
        raise GpsynthError(f"{page}: no such report page")
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="gpsynth-chromium-") as profile:
        command = [browser, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
                   f"--window-size={width},{height}", page.as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not png.is_file():
        raise GpsynthError(f"{browser} could not render {page} (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return png


@click.command(cls=OneLineErrors, help=__doc__.splitlines()[0])
@click.argument("page", type=click.Path(path_type=Path))
@click.argument("png", type=click.Path(path_type=Path))
@click.option("--width", type=click.IntRange(min=1), default=1200, show_default=True, help="Viewport width in pixels.")
@click.option("--height", type=click.IntRange(min=1), default=2600, show_default=True, help="Viewport height in pixels.")
def main(page: Path, png: Path, width: int, height: int) -> None:
    """PAGE: the report's HTML file; PNG: the image to write."""
    click.echo(screenshot(page, png, width, height))


if __name__ == "__main__":
    main(prog_name="python -m gpsynth.report.screenshot")
