"""Colours, markers and text sizes shared by the figures (private).

The line colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color
Universal Design"), distinguishable with every common colour-vision
deficiency; markers differ as well, so curves stay apart in greyscale print.
"""

from __future__ import annotations

import textwrap

#: Okabe-Ito colours by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Order in which curves take colours: parental blue, resistant vermillion, ...
#: (yellow last: it is faint on white).
LINE_COLORS: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)

#: Markers in the same order as `LINE_COLORS`.
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "h")

#: Sequential colour map of the plate heat maps (perceptually uniform, CVD-safe).
HEATMAP_CMAP = "viridis"

#: Colour of text that reports a problem (curve flags, QC findings).
WARNING_COLOR = "#A33D00"  # a darker vermillion, readable as small text

#: Grey of secondary text and axis furniture.
MUTED = "0.35"


def short_flag(flag: str) -> str:
    """Shorten a `CurveFits` flag to its headlines, for small panels.

    Each ``"; "``-separated reason is cut at its first colon or parenthesis.

    Examples
    --------
    >>> short_flag("flat: no significant dose effect (F test p > 0.05); ic50 > top dose (50 %)")
    'flat; ic50 > top dose'
    """
    heads = []
    for reason in flag.split("; "):
        head = reason.split(":", 1)[0].split(" (", 1)[0].strip()
        if head:
            heads.append(head)
    return "; ".join(heads)


def wrap(text: str, width: int) -> str:
    """Wrap `text` to lines of at most `width` characters (long words kept whole)."""
    return "\n".join(
        textwrap.fill(part, width, break_long_words=False) for part in text.split("\n")
    )
