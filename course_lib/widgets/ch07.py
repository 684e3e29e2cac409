"""Chapter 07 widget: the attention weights of one query as beta changes (wiring only).

The weights come from :func:`course_lib.attention.attention_weights_over_beta`, the entropy and
the 90 % count from :func:`~course_lib.attention.softmax_entropy` and :func:`~course_lib.attention.mass_count`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from .. import attention
from . import figure_with_controls

__all__ = ["beta_figure", "beta_explorer"]


def beta_figure(query, keys, beta: float, labels: Sequence[str] | None = None):
    """Bar chart of softmax(beta K q) over the keys, titled with its entropy and 90 % count."""
    w = attention.attention_weights_over_beta(query, keys, [beta])[0]
    n = len(w)
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    ax.bar(range(n), w, color="tab:blue")
    ax.set_xticks(range(n), labels if labels is not None else [str(i) for i in range(n)], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.axhline(1 / n, color="gray", ls=":", lw=1, label="uniform 1/S")
    ax.set_xlabel("stored pattern (key)")
    ax.set_ylabel("attention weight")
    ent = attention.softmax_entropy(w)
    k90 = int(attention.mass_count(w))
    ax.set_title(f"beta = {beta:.2f}: entropy {ent:.2f} nats (max {np.log(n):.2f}), {k90} key(s) hold 90 %")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


# a track wide enough that each of the slider's 66 steps is a visible move (about 8 px)
SLIDER_LAYOUT = {"width": "560px"}


def beta_explorer(query, keys, labels: Sequence[str] | None = None, beta: float = 1.0, beta_max: float = 20.0):
    """A beta slider over :func:`beta_figure`; returns the widget (display it as the cell's last line)."""
    import ipywidgets as w

    top = float(np.log10(beta_max))
    slider = w.FloatLogSlider(value=beta, base=10, min=-2, max=top, step=0.05, description="beta",
                              continuous_update=False, readout_format=".2f",
                              layout=SLIDER_LAYOUT)
    return figure_with_controls(lambda beta: beta_figure(query, keys, beta, labels), {"beta": slider},
                                title="Attention weights of one query as beta changes")
