"""Every figure carries where its numbers came from; stand-in data gets a banner."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # jobs run headless, on laptops and cluster nodes alike
import matplotlib.pyplot as plt  # noqa: E402

from ..data.svhn_format import STANDIN_LABEL  # noqa: E402


def describe_source(provenance: dict) -> str:
    files = ", ".join(
        f"{f['name']} ({next((f'{k} {v[:12]}' for k, v in f.items() if k in ('sha256', 'md5')), 'no checksum')})"
        for f in provenance.get("files", [])
    )
    return f"{provenance['dataset']}: {provenance['source']}" + (f"; {files}" if files else "")


def stamp(figure: plt.Figure, provenance: dict, extra: str = "") -> None:
    """Footer with data source and checksums; a red banner across the top for a stand-in."""
    text = describe_source(provenance) + (f" | {extra}" if extra else "")
    figure.text(0.01, 0.005, text, fontsize=6, color="0.35", ha="left", va="bottom", wrap=True)
    if provenance.get("stand_in"):
        banner = {"facecolor": "#b00020", "edgecolor": "none", "pad": 3}
        style = {"fontsize": 10, "color": "white", "ha": "center", "va": "top", "weight": "bold", "bbox": banner}
        figure.text(0.5, 0.995, STANDIN_LABEL, **style)
