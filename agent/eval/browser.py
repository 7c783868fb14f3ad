"""Check a report page in a real headless browser: Chromium driven by Selenium (chromedriver).

``python -m agent.eval.browser RUN/report.html [--screenshot page.png]`` loads the page, collects
the console's messages, waits until every ``<video>`` has its metadata, starts each one and checks
that its clock advances, and prints what it found (exit status 1 when the page has console errors
or a video that does not play). Needs ``selenium`` (the test extra) and Debian's ``chromium`` and
``chromium-driver`` (``apt-get install chromium chromium-driver``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
    "--window-size=1280,2400",
)
INSTALL_HELP = "install them with: apt-get install chromium chromium-driver; pip install selenium"

_VIDEO_STATE = """
return Array.from(document.querySelectorAll('video')).map(v => ({
  ready: v.readyState, duration: v.duration, time: v.currentTime,
  error: v.error ? (v.error.message || String(v.error.code)) : null}));
"""


class BrowserUnavailableError(RuntimeError):
    """No Chromium, chromedriver or selenium on this machine."""


@dataclass
class PageCheck:
    """What the browser saw."""

    title: str
    console_errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    videos: list[dict] = field(default_factory=list)
    """Per video: duration (s), whether its clock advanced once played, and any media error."""

    @property
    def ok(self) -> bool:
        """No console error and every video has a duration and plays."""
        return not self.console_errors and all(
            v["duration"] and v["duration"] > 0 and v["played"] and not v["error"]
            for v in self.videos
        )


def find_browser() -> tuple[str, str]:
    """Paths of the Chromium binary and its chromedriver.

    Raises:
        BrowserUnavailableError: naming what is missing and how to install it.
    """
    chromium = os.environ.get("MINIGROUND_CHROMIUM") or next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None
    )
    driver = os.environ.get("MINIGROUND_CHROMEDRIVER") or shutil.which("chromedriver")
    missing = [n for n, p in (("chromium", chromium), ("chromedriver", driver)) if not p]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        raise BrowserUnavailableError(f"no {', '.join(missing)} for the browser check; "
                                      f"{INSTALL_HELP}")  # fmt: skip
    return str(chromium), str(driver)


def check_page(
    path: str | os.PathLike, screenshot: str | os.PathLike | None = None, timeout: float = 30.0
) -> PageCheck:
    """Load ``path`` in headless Chromium; report console messages and whether videos play."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    page = Path(path).resolve()
    if not page.is_file():
        raise FileNotFoundError(f"no page at {str(page)!r}")
    chromium, driver_path = find_browser()
    profile = tempfile.mkdtemp(prefix="miniground-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.set_page_load_timeout(timeout)
        driver.get(page.as_uri())
        deadline = time.monotonic() + timeout
        states = driver.execute_script(_VIDEO_STATE)
        while any(s["ready"] < 1 and not s["error"] for s in states):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
            states = driver.execute_script(_VIDEO_STATE)
        driver.execute_script("document.querySelectorAll('video').forEach(v => v.play());")
        time.sleep(0.2)
        played = driver.execute_script(_VIDEO_STATE)
        while any(p["time"] <= 0 and not p["error"] for p in played):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
            played = driver.execute_script(_VIDEO_STATE)
        videos = [
            {"duration": s["duration"], "played": p["time"] > 0, "error": p["error"] or s["error"]}
            for s, p in zip(states, played, strict=True)
        ]
        if screenshot is not None:
            driver.execute_script(
                "document.querySelectorAll('video').forEach(v => {v.pause(); v.currentTime = "
                "Math.min(1.5, v.duration / 2);});"
            )
            time.sleep(0.5)
            width = driver.execute_script("return document.documentElement.scrollWidth")
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(max(int(width), 1280), int(height) + 120)
            driver.save_screenshot(str(screenshot))
        logs = driver.get_log("browser")
        title = driver.title
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return PageCheck(
        title=title,
        console_errors=[e["message"] for e in logs if e["level"] == "SEVERE"],
        console=[f"{e['level']}: {e['message']}" for e in logs],
        videos=videos,
    )


def main(argv: list[str] | None = None) -> int:
    """Check a page; print the findings as JSON; exit 1 unless the page is clean."""
    parser = argparse.ArgumentParser(prog="python -m agent.eval.browser", description=__doc__)
    parser.add_argument("page", help="an HTML file, e.g. RUN/report.html")
    parser.add_argument("--screenshot", default=None, help="save a full-page PNG here")
    args = parser.parse_args(argv)
    result = check_page(args.page, args.screenshot)
    print(json.dumps({**asdict(result), "ok": result.ok}, indent=1))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
