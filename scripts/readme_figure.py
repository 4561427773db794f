"""Write docs/figures/standards_heatmap.png, the figure the README shows (notebook 01's)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import simlib  # noqa: E402

if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "docs" / "figures" / "standards_heatmap.png"
    fig = simlib.plotting.standards_heatmap(simlib.standards(2025))
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")
