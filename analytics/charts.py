"""Server-rendered SVG charts for the report pages (no JavaScript): numbers in, coordinates out."""
from __future__ import annotations

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP, PAD_RIGHT = 720, 220, 64, 24, 12, 32
MAX_BAR = 48  # a bar no wider than this, however few groups there are


def _scale(values: list[int | float]) -> tuple[float, float]:
    low = min(values + [0]) if values else 0
    high = max(values + [1]) if values else 1
    # At least four units high, so the five ticks are whole numbers that differ (0 1 2 3 4, not 0 0 1 1 2).
    return float(low), float(max(high, low + 4))


def line_chart(*, labels: list[str], series: list[dict]) -> dict:
    """series: [{"name", "values", "color"}]; returns what the template draws: polylines and axis ticks."""
    values = [v for item in series for v in item["values"]]
    low, high = _scale(values)
    n = max(len(labels), 2)
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(i):
        return PAD_LEFT + plot_w * i / (n - 1)

    def y(v):
        return PAD_TOP + plot_h * (1 - (float(v) - low) / (high - low))

    lines = [{"name": item["name"], "color": item["color"],
              "points": " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(item["values"]))} for item in series]
    ticks = [{"y": round(y(low + (high - low) * k / 4), 1), "value": int(low + (high - low) * k / 4)} for k in range(5)]
    step = max(1, len(labels) // 6)
    xlabels = [{"x": round(x(i), 1), "text": label} for i, label in enumerate(labels) if i % step == 0]
    return {"width": WIDTH, "height": HEIGHT, "left": PAD_LEFT, "bottom": HEIGHT - PAD_BOTTOM, "lines": lines, "ticks": ticks,
            "xlabels": xlabels, "right": WIDTH - PAD_RIGHT}


def bar_chart(*, labels: list[str], series: list[dict]) -> dict:
    """Grouped bars: one group per label, one bar per series."""
    values = [v for item in series for v in item["values"]]
    low, high = _scale(values)
    groups = max(len(labels), 1)
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    group_w = plot_w / groups
    bar_w = min(max(group_w * 0.8 / max(len(series), 1), 1), MAX_BAR)
    inset = (group_w - bar_w * len(series)) / 2

    def y(v):
        return PAD_TOP + plot_h * (1 - (float(v) - low) / (high - low))

    bars = []
    for s_index, item in enumerate(series):
        for i, v in enumerate(item["values"]):
            top = y(v)
            bars.append({"x": round(PAD_LEFT + group_w * i + inset + bar_w * s_index, 1), "y": round(top, 1),
                         "w": round(bar_w, 1), "h": round(max(y(0) - top, 0), 1), "color": item["color"],
                         "title": f"{labels[i]} {item['name']}: {v}"})
    ticks = [{"y": round(y(low + (high - low) * k / 4), 1), "value": int(low + (high - low) * k / 4)} for k in range(5)]
    step = max(1, len(labels) // 6)
    xlabels = [{"x": round(PAD_LEFT + group_w * (i + 0.5), 1), "text": label} for i, label in enumerate(labels) if i % step == 0]
    return {"width": WIDTH, "height": HEIGHT, "left": PAD_LEFT, "bottom": HEIGHT - PAD_BOTTOM, "bars": bars, "ticks": ticks,
            "xlabels": xlabels, "legend": [{"name": item["name"], "color": item["color"]} for item in series], "right": WIDTH - PAD_RIGHT}
