"""Text colours of the console's badges and muted text against their backgrounds: at least 4.5:1,
WCAG 2.1 AA for normal text (issue 19: grey badges were 3.3:1). Read from the stylesheet itself,
so a new badge colour that fails is caught."""

from __future__ import annotations

import pathlib
import re

CSS = (pathlib.Path(__file__).resolve().parents[2] / "faechain" / "console" / "static" / "style.css").read_text()


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def rules() -> list[tuple[str, str, str]]:
    """(selector, text colour, background) of every rule that sets both, as hex."""
    out = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", CSS):
        fg = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})\b", body)
        bg = re.search(r"background:\s*(#[0-9a-fA-F]{3,6})\b", body)
        if fg and bg:
            out.append((selector.strip(), fg.group(1), bg.group(1)))
    return out


def test_every_coloured_label_reads_at_4_5_to_1():
    found = rules()
    assert any(".badge" in s for s, _, _ in found) and any(".s-split" in s for s, _, _ in found)
    weak = [(s, fg, bg, round(contrast(fg, bg), 2)) for s, fg, bg in found if contrast(fg, bg) < 4.5]
    assert not weak, weak


def test_muted_text_reads_on_cards_and_the_page():
    muted = re.search(r"--muted:\s*(#[0-9a-fA-F]{6})", CSS).group(1)
    for background in ("#ffffff", re.search(r"--bg:\s*(#[0-9a-fA-F]{6})", CSS).group(1)):
        assert contrast(muted, background) >= 4.5, (muted, background)
