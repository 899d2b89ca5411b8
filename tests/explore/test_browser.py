"""End to end in a real browser: Debian's chromium driven by Playwright. Opens the page, adds a transform,
moves a slider and sees the grid change, triggers a task violation and sees the warning, exports YAML
and loads it with iv.load, and writes the README's screenshot (docs/images/explore.png).

Without chromium or Playwright the test is skipped locally and FAILS in CI (CI=true), where .ci/run
installs chromium."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest

import invariant as iv

from .conftest import start, stop

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "explore.png"


def _require_browser():
    missing = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("the playwright package (pip install playwright)")
        sync_playwright = None
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        missing.append(f"Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    if missing:
        text = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(text + "; CI installs them (.ci/run), so this is a CI setup failure")
        pytest.skip(text)
    return sync_playwright


def _grid_hashes(page) -> list[str]:
    srcs = page.eval_on_selector_all("#grid img.sample", "els => els.map(e => e.src)")
    return [hashlib.sha1(s.encode()).hexdigest() for s in srcs]


def _wait_rendered(page) -> None:
    page.wait_for_function("() => document.querySelector('#status').textContent === '' && document.querySelectorAll('#grid img.sample').length > 0")


def test_explore_in_a_browser(tmp_path):
    sync_playwright = _require_browser()
    server, thread = start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            console_errors: list[str] = []
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: console_errors.append(str(e)))
            page.goto(server.url)
            _wait_rendered(page)  # the default image, no steps: the input and identical samples

            # add a transform from the searchable list
            page.fill("#search", "rotat")
            page.click('#results li[data-name="Rotate"]')
            page.wait_for_selector('.step[data-name="Rotate"]')
            page.select_option('.step[data-name="Rotate"] select[data-arg="border_mode"]', "reflect")
            page.wait_for_timeout(400)
            _wait_rendered(page)
            before = _grid_hashes(page)

            # move the p slider (keyboard on the range input), then the angle slider: the grid changes
            slider = page.locator('.step[data-name="Rotate"] input[type=range][data-arg="limit"]')
            slider.focus()
            for _ in range(10):
                page.keyboard.press("ArrowLeft")
            page.wait_for_function("h => { const s = [...document.querySelectorAll('#grid img.sample')].map(e => e.src); return s.length && document.querySelector('#status').textContent === '' && s.join() !== h; }", arg=",".join(page.eval_on_selector_all("#grid img.sample", "els => els.map(e => e.src)")))
            _wait_rendered(page)
            after = _grid_hashes(page)
            assert before != after and len(after) == len(before)
            limit = float(page.input_value('.step[data-name="Rotate"] input.num[data-arg="limit"]'))
            assert limit < 90.0

            # a task violation: x-ray (left/right matters) + a horizontal flip -> a red line with the fix
            page.select_option("#task", "xray")
            page.fill("#search", "HorizontalFlip")
            page.keyboard.press("Enter")
            violation = page.locator('.step[data-name="HorizontalFlip"] .violation')
            violation.wait_for(state="visible")
            assert "laterality" in violation.inner_text() and "Fix: drop it" in violation.inner_text()
            assert "violation" in page.inner_text("#check")

            # a bad argument shows the library's own error next to its control, and the page keeps working
            page.fill('.step[data-name="Rotate"] input.num[data-arg="p"]', "1.5")
            page.press('.step[data-name="Rotate"] input.num[data-arg="p"]', "Enter")
            error = page.locator('.step[data-name="Rotate"] .arg[data-arg="p"] .err')
            page.wait_for_function("() => document.querySelector('.step[data-name=\"Rotate\"] .arg[data-arg=\"p\"] .err').textContent.length > 0")
            assert "a probability in [0, 1]" in error.inner_text() and "Fix:" in error.inner_text()
            page.fill('.step[data-name="Rotate"] input.num[data-arg="p"]', "0.9")
            page.press('.step[data-name="Rotate"] input.num[data-arg="p"]', "Enter")
            page.wait_for_function("() => document.querySelector('.step[data-name=\"Rotate\"] .arg[data-arg=\"p\"] .err').textContent === ''")
            _wait_rendered(page)
            assert "ms per call" in page.inner_text("#timing")

            # export YAML and load it with iv.load
            page.click("#export-yaml")
            page.wait_for_function("() => document.querySelector('#export-text').value.includes('Rotate')")
            path = tmp_path / "exported.yaml"
            path.write_text(page.input_value("#export-text"))
            loaded = iv.load(path)
            assert [type(t).__name__ for t in loaded.transforms] == ["Rotate", "HorizontalFlip"]
            assert loaded.transforms[0].border_mode == "reflect" and loaded.transforms[0].p == 0.9

            page.evaluate("window.scrollTo(0, 0)")
            png = page.screenshot(full_page=False)
            browser.close()
        assert not console_errors, console_errors
        _save_screenshot(png, tmp_path)
    finally:
        stop(server, thread)


def _save_screenshot(png: bytes, tmp_path: Path) -> None:
    """The README's screenshot, quantised to 256 colours so the committed file stays small. Written to
    docs/images/explore.png only when INVARIANT_WRITE_SCREENSHOT=1 (how the committed one was taken), so a
    test run leaves the checkout clean; otherwise to tmp_path. Either way it must be a real page picture."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size[0] >= 800 and image.size[1] >= 600, image.size
    assert len(image.getcolors(maxcolors=1 << 20) or range(1 << 20)) > 50  # not a blank page
    target = SCREENSHOT if os.environ.get("INVARIANT_WRITE_SCREENSHOT") == "1" else tmp_path / "explore.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
