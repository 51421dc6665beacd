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
