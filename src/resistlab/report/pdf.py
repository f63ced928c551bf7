"""Print the HTML report to PDF with a headless Chromium, when one is installed.

Chromium lays the page out exactly as the browser shows it (the report's print styles
keep table rows and figures whole), so the PDF needs no second renderer. No Python
package does this without a browser or a native layout engine, so the browser is looked
up on PATH (``chromium``, ``chromium-browser``, ``google-chrome``) or taken from
``RESISTLAB_CHROMIUM``; without one, `find_chromium` says how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from resistlab.errors import InputError

__all__ = ["find_chromium", "print_pdf"]

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str:
    """Return the Chromium executable, or raise InputError saying how to get one."""
    given = os.environ.get("RESISTLAB_CHROMIUM")
    if given:
        if shutil.which(given) is None:
            msg = f"RESISTLAB_CHROMIUM={given!r} is not an executable"
            raise InputError(msg)
        return given
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    msg = (
        "--pdf needs a headless Chromium to print the report (Debian/Ubuntu: apt install "
        "chromium; or set RESISTLAB_CHROMIUM); the HTML report does not need it"
    )
    raise InputError(msg)


def print_pdf(page: Path, pdf: Path, *, browser: str | None = None, timeout: float = 180) -> Path:
    """Print the HTML file `page` to `pdf` (A4-sized by Chromium's defaults)."""
    executable = browser or find_chromium()
    command = [
        executable,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}",
        page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        msg = f"{executable} could not print {page.name} to PDF: {detail[0]}"
        raise InputError(msg)
    return pdf
