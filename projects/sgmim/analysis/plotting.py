"""Figures of the analysis tools, in the style of the papers.

matplotlib with the non-interactive Agg backend (no display needed). The
look follows the figures of Dark Secrets of MIM / How do ViTs work / LUT:
white background, thin grid, one colour per model from the tab10 cycle,
depth on the x axis, layers labelled by short names.
"""
from contextlib import contextmanager
from typing import Optional, Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

STYLE = {
    'figure.facecolor': 'white',
    'axes.grid': True,
    'grid.alpha': 0.3,
    'grid.linewidth': 0.5,
    'axes.spines.top': False,
    'axes.spines.right': False,
    'font.size': 9,
    'axes.titlesize': 10,
    'legend.fontsize': 8,
    'legend.frameon': False,
    'lines.linewidth': 1.5,
    'lines.markersize': 4,
}


@contextmanager
def paper_style():
    """matplotlib settings of these figures, for a ``with`` block."""
    with plt.rc_context(STYLE):
        yield


def short_name(layer: str) -> str:
    """A compact label: ``backbone.stages.2.blocks.3.norm1`` → ``s2.b3.norm1``,
    ``backbone.layers.5`` → ``L5``."""
    parts = layer.split('.')
    if parts and parts[0] == 'backbone':
        parts = parts[1:]
    out, i = [], 0
    while i < len(parts):
        key = parts[i]
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if nxt is not None and nxt.isdigit() and key in ('stages', 'blocks',
                                                          'layers'):
            out.append({'stages': 's', 'blocks': 'b', 'layers': 'L'}[key] +
                       nxt)
            i += 2
        else:
            out.append(key)
            i += 1
    return '.'.join(out) if out else layer


def model_colors(count: int) -> list:
    """``count`` distinct colours (tab10, then tab20)."""
    cmap = plt.get_cmap('tab10' if count <= 10 else 'tab20')
    return [cmap(i % cmap.N) for i in range(count)]


def heatmap(ax, matrix: np.ndarray, row_labels: Sequence[str],
            col_labels: Sequence[str], title: str = '',
            vmin: Optional[float] = 0.0, vmax: Optional[float] = 1.0,
            cbar_label: str = ''):
    """Draw ``matrix`` (rows bottom-up, as the CKA figures of Kornblith et
    al. and MeSa) with a colour bar; returns the image."""
    matrix = np.asarray(matrix, dtype=float)
    image = ax.imshow(matrix, origin='lower', cmap='magma', vmin=vmin,
                      vmax=vmax, aspect='auto', interpolation='nearest')
    ax.grid(False)
    step_r = max(1, len(row_labels) // 16)
    step_c = max(1, len(col_labels) // 16)
    ax.set_yticks(range(0, len(row_labels), step_r))
    ax.set_yticklabels(list(row_labels)[::step_r])
    ax.set_xticks(range(0, len(col_labels), step_c))
    ax.set_xticklabels(list(col_labels)[::step_c], rotation=90)
    if title:
        ax.set_title(title)
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if cbar_label:
        bar.set_label(cbar_label)
    return image


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.0,
               height: float = 3.2):
    """A figure with ``nrows`` × ``ncols`` axes of ``width`` × ``height``
    inches each; returns (fig, axes as a flat list)."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols,
                                                    height * nrows),
                             squeeze=False)
    return fig, list(axes.flat)
