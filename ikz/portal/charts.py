"""The controlling chart as inline SVG: drawn on the server, readable without JavaScript, described in text."""

from markupsafe import Markup, escape

from workflow.text import format_eur

WIDTH, BAR, GAP, LABEL = 720, 28, 14, 280


def programme(report: dict) -> Markup:
    """Bars for the programme's goal, its targets and what was realised, each labelled with its amount."""
    bars = [
        ("Programmziel", report["goal"], "#1f4e79"),
        ("Effizienzziele pro Jahr", report["target_total"], "#2e7d32"),
        ("Realisiert (letztes Jahr je Mandat)", report["realised_total"], "#8a4b00"),
    ]
    top = max(value for _label, value, _colour in bars) or 1
    span = WIDTH - LABEL - 120
    height = len(bars) * (BAR + GAP) + GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title chart-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width:{WIDTH}px">',
        '<title id="chart-title">Programm gegen das Ziel von 2 Mio. €</title>',
        '<desc id="chart-desc">'
        + escape("; ".join(f"{label}: {format_eur(value)}" for label, value, _colour in bars))
        + "</desc>",
    ]
    for index, (label, value, colour) in enumerate(bars):
        y = GAP + index * (BAR + GAP)
        width = max(1, round(span * value / top)) if value > 0 else 0
        parts += [
            f'<text x="0" y="{y + BAR * 0.68:.0f}" font-size="14" fill="#1a1a1a">{escape(label)}</text>',
            f'<rect x="{LABEL}" y="{y}" width="{width}" height="{BAR}" fill="{colour}"></rect>',
            f'<text x="{LABEL + width + 8}" y="{y + BAR * 0.68:.0f}" font-size="14" fill="#1a1a1a">'
            f"{escape(format_eur(value))}</text>",
        ]
    parts.append("</svg>")
    return Markup("".join(parts))
