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


def _depth_colors(count: int, cmap: str = 'viridis') -> list:
    """Colours from shallow (dark) to deep (light) layers."""
    colors = plt.get_cmap(cmap)
    return [colors(0.9 * i / max(count - 1, 1)) for i in range(count)]


def cka_figure(matrix: np.ndarray, rows: Sequence[str], cols: Sequence[str],
               row_model: str, col_model: str):
    """CKA heatmap: layers of ``row_model`` (y) against ``col_model`` (x)."""
    with paper_style():
        size = 2.5 + 0.18 * max(len(rows), len(cols))
        fig, (ax, ) = new_figure(width=min(size + 1, 12),
                                 height=min(size, 11))
        heatmap(ax, matrix, [short_name(n) for n in rows],
                [short_name(n) for n in cols], title='linear CKA',
                cbar_label='CKA')
        ax.set_ylabel(f'{row_model} layer')
        ax.set_xlabel(f'{col_model} layer')
        fig.tight_layout()
    return fig


def cka_layerwise_figure(values: np.ndarray, layers: Sequence[str],
                         label: str):
    """CKA of matched layers against depth (MeSa's comparison)."""
    with paper_style():
        fig, (ax, ) = new_figure(width=max(4.0, 0.35 * len(layers)))
        ax.plot(range(len(values)), values, marker='o', label=label)
        ax.set_xticks(range(len(layers)))
        ax.set_xticklabels([short_name(n) for n in layers], rotation=90)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel('CKA')
        ax.legend()
        fig.tight_layout()
    return fig


def spectrum_figure(spectra: Sequence[np.ndarray], layers: Sequence[str],
                    title: str):
    """Singular values (log scale) against their rank, one curve per layer
    coloured by depth (LUT Fig. 5 style)."""
    with paper_style():
        fig, (ax, ) = new_figure(width=4.5, height=3.4)
        for values, layer, color in zip(spectra, layers,
                                        _depth_colors(len(layers))):
            values = np.clip(np.asarray(values, dtype=float), 1e-12, None)
            ax.plot(np.arange(1, len(values) + 1), values, color=color,
                    label=short_name(layer))
        ax.set_yscale('log')
        ax.set_xlabel('singular value rank')
        ax.set_ylabel('singular value')
        ax.set_title(title)
        ax.legend(ncol=2 if len(layers) > 6 else 1, fontsize=6)
        fig.tight_layout()
    return fig


def spectrum_gap_figure(gaps: Sequence[np.ndarray], layers: Sequence[str],
                        label: str):
    """Log singular-value gap to the reference per layer: left, the gap
    against rank per layer; right, its mean per layer against depth."""
    with paper_style():
        fig, (ax, ax_mean) = new_figure(2, width=4.2, height=3.2)
        colors = _depth_colors(len(layers))
        for gap, layer, color in zip(gaps, layers, colors):
            ax.plot(np.arange(1, len(gap) + 1), gap, color=color,
                    label=short_name(layer))
        ax.axhline(0, color='black', linewidth=0.8)
        ax.set_xlabel('singular value rank')
        ax.set_ylabel('log σ − log σ(ref)')
        ax.set_title(label)
        ax.legend(ncol=2 if len(layers) > 6 else 1, fontsize=6)
        ax_mean.plot(range(len(gaps)), [float(np.mean(g)) for g in gaps],
                     marker='o')
        ax_mean.axhline(0, color='black', linewidth=0.8)
        ax_mean.set_xticks(range(len(layers)))
        ax_mean.set_xticklabels([short_name(n) for n in layers], rotation=90)
        ax_mean.set_ylabel('mean log gap')
        fig.tight_layout()
    return fig


def fourier_curves_figure(models: Sequence[dict]):
    """ΔLog amplitude against frequency, one panel per model, one curve per
    layer coloured by depth (Park & Kim Fig. 2a style). ``models``: dicts
    with ``name`` and ``records`` (``layer``, ``frequencies``,
    ``delta_log_amplitude``)."""
    with paper_style():
        fig, axes = new_figure(len(models), width=3.4, height=3.0)
        for ax, model in zip(axes, models):
            records = model['records']
            for record, color in zip(records, _depth_colors(len(records),
                                                            'plasma')):
                ax.plot(record['frequencies'], record['delta_log_amplitude'],
                        color=color, linewidth=1.0)
            ax.set_xlabel('frequency (×π)')
            ax.set_title(model['name'])
            bar = plt.cm.ScalarMappable(cmap='plasma',
                                        norm=plt.Normalize(0, 1))
            fig.colorbar(bar, ax=ax, fraction=0.046, pad=0.04,
                         label='normalised depth')
        axes[0].set_ylabel('ΔLog amplitude')
        fig.tight_layout()
    return fig


def fourier_depth_figure(models: Sequence[dict]):
    """ΔLog amplitude at the highest frequency against normalised depth,
    one line per model (Park & Kim Fig. 2b / SG-MIM style)."""
    with paper_style():
        fig, (ax, ) = new_figure(width=4.2, height=3.2)
        for model, color in zip(models, model_colors(len(models))):
            records = model['records']
            ax.plot([r['depth'] for r in records],
                    [r['high_frequency'] for r in records], marker='o',
                    color=color, label=model['name'])
        ax.set_xlabel('normalised depth')
        ax.set_ylabel('ΔLog amplitude (ω = high)')
        ax.legend()
        fig.tight_layout()
    return fig


def heterogeneity_figure(records: Sequence[dict], title: str):
    """Masked-token heterogeneity per layer (layer 0: the embedding with the
    mask tokens), with the uniform-affinity bound log |V| dashed."""
    with paper_style():
        fig, (ax, ) = new_figure(width=max(4.0, 0.35 * len(records)))
        x = range(len(records))
        ax.plot(x, [r['heterogeneity'] for r in records], marker='o',
                label='H (masked → visible)')
        ax.plot(x, [r['max_heterogeneity'] for r in records], '--',
                color='gray', label='log |V|')
        ax.set_xticks(list(x))
        ax.set_xticklabels([short_name(r['layer']) for r in records],
                           rotation=90)
        ax.set_ylabel('heterogeneity (nats)')
        ax.set_title(title)
        ax.legend()
        fig.tight_layout()
    return fig


def affinity_figure(maps: Sequence[np.ndarray], layers: Sequence[str],
                    title: str):
    """Affinity matrices ``A`` (masked rows × visible columns) of one image
    at a few layers."""
    with paper_style():
        fig, axes = new_figure(len(maps), width=3.0, height=3.0)
        for ax, matrix, layer in zip(axes, maps, layers):
            image = ax.imshow(matrix, cmap='viridis', aspect='auto',
                              interpolation='nearest')
            ax.grid(False)
            ax.set_title(short_name(layer))
            ax.set_xlabel('visible token')
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        axes[0].set_ylabel('masked token')
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def rauc_figure(baseline: dict, candidate: dict, start: float, end: float,
                value: float, metric: str):
    """Both curves, the baseline's start level S1(E1), and the areas of the
    RAUC ratio over [E1, E2] shaded (``baseline``/``candidate``: dicts with
    ``name``, ``epochs``, ``values``)."""
    with paper_style():
        fig, (ax, ) = new_figure(width=4.5, height=3.3)
        origin = float(np.interp(start, baseline['epochs'],
                                 baseline['values']))
        grid = np.linspace(start, end, 200)
        for curve, color in zip((baseline, candidate), model_colors(2)):
            ax.plot(curve['epochs'], curve['values'], marker='o',
                    color=color, label=curve['name'])
            ax.fill_between(grid, origin,
                            np.interp(grid, curve['epochs'], curve['values']),
                            color=color, alpha=0.2)
        ax.axhline(origin, color='gray', linestyle='--', linewidth=0.8,
                   label='S1(E1)')
        ax.axvline(start, color='gray', linewidth=0.5)
        ax.axvline(end, color='gray', linewidth=0.5)
        ax.set_xlabel('epoch')
        ax.set_ylabel(metric)
        ax.set_title(f'RAUC = {value:.3f}')
        ax.legend()
        fig.tight_layout()
    return fig
