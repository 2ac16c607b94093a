"""Draw docs/load-chart.svg from the load runs kept in docs/load-figures.json (``python -m
tests.bench.load --record docs/load-figures.json`` appends one): for each run, its p50, p95 and
p99 response times as bars on a logarithmic scale, with the targets (p95 500 ms, p99 1.5 s) as
lines. docs/performance.md has the same figures as a table.

    python -m tests.bench.chart [docs/load-figures.json] [docs/load-chart.svg]
"""

from __future__ import annotations

import json
import math
import sys
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "load-figures.json"
CHART = ROOT / "docs" / "load-chart.svg"
BARS = (("p50_ms", "p50", "#1d70b8"), ("p95_ms", "p95", "#f47738"), ("p99_ms", "p99", "#d4351c"))
TARGETS = ((500, "p95 target 0.5 s"), (1500, "p99 target 1.5 s"))
WIDTH, HEIGHT = 860, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 130, 50, 90
LOW, HIGH = 10, 100_000  # ms: the scale's ends


def y_of(ms: float) -> float:
    span = math.log10(HIGH) - math.log10(LOW)
    share = (math.log10(max(min(ms, HIGH), LOW)) - math.log10(LOW)) / span
    return TOP + (1 - share) * (HEIGHT - TOP - BOTTOM)


def label(ms: float) -> str:
    return f"{ms / 1000:.3g} s" if ms >= 1000 else f"{ms:.0f} ms"


def run_name(run: dict[str, Any]) -> str:
    data = run["data"]
    return f"{run['users']} staff, {data['settings']}×{data['years']} y"


def run_detail(run: dict[str, Any]) -> str:
    low, high = run["think_s"]
    return f"{low:g}–{high:g} s apart, {run['duration_s'] / 60:g} min"


def svg(runs: list[dict[str, Any]]) -> str:
    summary = "; ".join(
        f"{run_name(r)} ({run_detail(r)}): p50 {label(r['p50_ms'])}, p95 {label(r['p95_ms'])}, "
        f"p99 {label(r['p99_ms'])}, errors {r['error_rate']:.2%}"
        for r in runs
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="title desc" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        '<title id="title">make bench-load: response times (log scale)</title>',
        f'<desc id="desc">{escape(summary)}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="24" font-size="15" font-weight="bold" fill="#0b0c0c">'
        "Response times under load (every request but sign-ins; log scale)</text>",
    ]
    for ms in (10, 100, 1000, 10_000, 100_000):
        y = y_of(ms)
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b1b4b6" '
            'stroke-width="1"/>'
        )
        out.append(
            f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#0b0c0c">'
            f"{label(ms)}</text>"
        )
    for ms, name in TARGETS:
        y = y_of(ms)
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#0b0c0c" '
            'stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        out.append(f'<text x="{WIDTH - RIGHT + 6}" y="{y + 4:.1f}" fill="#0b0c0c">{name}</text>')
    plot = WIDTH - LEFT - RIGHT
    group = plot / max(len(runs), 1)
    bar = min(44.0, group / (len(BARS) + 1.5))
    for n, run in enumerate(runs):
        start = LEFT + n * group + (group - bar * len(BARS)) / 2
        for k, (key, _name, colour) in enumerate(BARS):
            x = start + k * bar
            y = y_of(run[key])
            out.append(
                f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{bar - 4:.1f}" '
                f'height="{HEIGHT - BOTTOM - y:.1f}" fill="{colour}"/>'
            )
            out.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle" '
                'fill="#0b0c0c" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
                f"{label(run[key])}</text>"
            )
        middle = LEFT + n * group + group / 2
        out.append(
            f'<text x="{middle:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
            f'font-weight="bold" fill="#0b0c0c">{escape(run_name(run))}</text>'
        )
        out.append(
            f'<text x="{middle:.1f}" y="{HEIGHT - BOTTOM + 34}" text-anchor="middle" '
            f'fill="#0b0c0c">{escape(run_detail(run))}</text>'
        )
        out.append(
            f'<text x="{middle:.1f}" y="{HEIGHT - BOTTOM + 50}" text-anchor="middle" '
            f'fill="#0b0c0c">errors {run["error_rate"]:.2%}, {run["rps"]:.0f} requests/s</text>'
        )
    x = LEFT
    for _key, name, colour in BARS:
        out.append(
            f'<rect x="{x}" y="{HEIGHT - 22}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="{HEIGHT - 12}" fill="#0b0c0c">{name}</text>'
        )
        x += 60
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else FIGURES
    target = Path(argv[1]) if len(argv) > 1 else CHART
    runs = json.loads(source.read_text())
    if not runs:
        print(f"chart: {source} holds no runs", file=sys.stderr)
        return 1
    target.write_text(svg(runs))
    print(f"chart: {len(runs)} runs drawn in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
