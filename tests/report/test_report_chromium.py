"""The HTML report in a real browser: Debian's headless Chromium renders it, we read the pixels.

A screenshot must show the heatmap in the palette's colours; the DOM Chromium built must hold
the Content-Security-Policy and no element made from hostile text; and the CSP we emit must
really stop an inline script (checked against the same page without it, where the script runs).
Chromium comes from `make system-deps`; without it the tests fail under CI and skip elsewhere.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from gsmile_core.reports.html import CSP, explanation_html, html_document
from gsmile_core.reports.html_session import session_html
from gsmile_core.reports.palette import PALETTES

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed (make system-deps installs it)")
    pytest.skip("chromium is not installed (run `make system-deps`)")


def run_chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


def screenshot(tmp_path: Path, html: str, size: str = "1200,900") -> Image.Image:
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / "shot.png"
    run_chromium(tmp_path, page, f"--screenshot={shot}", f"--window-size={size}")
    with Image.open(shot) as image:
        return image.convert("RGB")


def dump_dom(tmp_path: Path, html: str, name: str = "page.html") -> str:
    page = tmp_path / name
    page.write_text(html, encoding="utf-8")
    return run_chromium(tmp_path, page, "--dump-dom", "--virtual-time-budget=2000").stdout


def colour_counts(image: Image.Image) -> Counter:
    """How many pixels of each colour the image has."""
    return Counter({colour: n for n, colour in image.getcolors(image.width * image.height)})


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


@pytest.fixture(scope="module")
def two_signed(request):
    """The real fake-backend run with one word's score set strongly negative, so both ends of
    the diverging scale appear."""
    plain = request.getfixturevalue("plain")
    scores = list(plain.attributions)
    scores[0] = -max(scores)
    return dataclasses.replace(plain, attributions=tuple(scores))


def test_screenshot_shows_the_heatmap_in_palette_colours(tmp_path, two_signed):
    image = screenshot(tmp_path, explanation_html(two_signed), size="1200,1800")  # the summary comes first
    assert image.size == (1200, 1800)
    pixels = colour_counts(image)
    pal = PALETTES["blue-orange"]
    orange, blue = rgb(pal.positive), rgb(pal.negative)
    # the top word ("life?") and the pushed-down word ("What") are solid blocks of the end colours
    assert pixels[orange] > 400, pixels.most_common(8)
    assert pixels[blue] > 300, pixels.most_common(8)
    # ... in the heatmap near the top of the page, not only in the legend bar further down
    width, height = image.size
    rows = [y for y in range(height) for x in range(0, width, 4) if image.getpixel((x, y)) == orange]
    assert min(rows) < height * 0.6
    assert (255, 255, 255) == pixels.most_common(1)[0][0]  # a white page around it


def test_palette_choice_reaches_the_pixels(tmp_path, plain):
    image = screenshot(tmp_path, explanation_html(plain, palette="red-blue"), size="1200,1400")
    pixels = colour_counts(image)
    assert pixels[rgb(PALETTES["red-blue"].positive)] > 400
    assert pixels[rgb(PALETTES["blue-orange"].positive)] == 0


def test_hostile_session_renders_inert(tmp_path, session):
    html = session_html(session)
    dom = dump_dom(tmp_path, html)
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">' in dom
    assert re.search(r"<title>gSMILE session — audit &lt;script&gt;", dom)
    assert "PWNED</title>" not in dom
    assert "<script" not in dom and "<img" not in dom
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in dom  # shown as text
    # the page still draws: heatmap colours on screen
    image = screenshot(tmp_path, html, size="1200,2400")
    assert colour_counts(image)[rgb(PALETTES["blue-orange"].positive)] > 400


def test_our_csp_blocks_inline_scripts(tmp_path):
    body = "<p>static</p><script>document.title = 'RAN'; document.body.dataset.ran = 'yes';</script>"
    with_csp = html_document("report", body)
    assert CSP in with_csp
    without_csp = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n', "", with_csp)
    assert CSP not in without_csp
    # control: Chromium does run the script when the policy is absent ...
    assert "<title>RAN</title>" in dump_dom(tmp_path, without_csp, "no-csp.html")
    # ... and the policy the report carries stops it
    dom = dump_dom(tmp_path, with_csp, "csp.html")
    assert "<title>report</title>" in dom and 'data-ran="yes"' not in dom
