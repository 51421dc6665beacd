"""Every report says the same things in the same words: the heatmap legend with its scale's
numbers and the fidelity figures' names come from one place (`reports.wording`)."""

from __future__ import annotations

from report_text import every_format, flat

from gsmile_core.reports.palette import scale_of
from gsmile_core.reports.wording import FIDELITY_NAMES, LEGEND, scale_ends


def test_the_legend_and_its_scale_are_the_same_in_every_format(plain):
    low, high = scale_ends(scale_of([plain]))
    for name, text in every_format(plain).items():
        assert flat(LEGEND) in text, name
        assert low in text and high in text, name


def test_the_fidelity_names_are_the_same_where_fidelity_is_shown(plain):
    for name, text in every_format(plain).items():
        if name == "svg":  # the SVG is the heatmap alone
            continue
        positions = [text.index(f" {column} ") for column in FIDELITY_NAMES]
        assert positions == sorted(positions), name


def test_the_svg_legend_is_whole_and_fits_the_picture(plain, session):
    import xml.etree.ElementTree as ET

    from gsmile_core.reports.svg import heatmap_svg, session_svg

    for svg in (heatmap_svg(plain, width=420), heatmap_svg(plain), session_svg(session)):
        root = ET.fromstring(svg.encode("utf-8"))
        width = float(root.get("width"))
        texts = [t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("font-size") == "12"]
        for node in texts:  # monospace at 12 px: at most 0.62 × 12 px a character
            assert float(node.get("x")) + len(node.text) * 0.62 * 12 <= width, node.text
        assert float(texts[-1].get("y")) < float(root.get("height"))
        assert flat(LEGEND) in flat(" ".join(t.text for t in texts))
