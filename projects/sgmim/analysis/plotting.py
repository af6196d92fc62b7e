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
               height: float = 3.2, sharey: bool = False):
    """A figure with ``nrows`` × ``ncols`` axes of ``width`` × ``height``
    inches each (``sharey``: one y axis for all); returns (fig, axes as a
    flat list)."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols,
                                                    height * nrows),
                             squeeze=False, sharey=sharey)
    return fig, list(axes.flat)


def _floats(values) -> np.ndarray:
    """Numbers as floats, None (JSON's NaN) as NaN."""
    return np.asarray(values, dtype=float)


def _depth_axis(ax, models: Sequence[dict]) -> None:
    """x axis of normalised depth (each record's ``depth``), shared by
    models of different depths; one model's layers are named on it."""
    if len(models) == 1:
        records = models[0]['records']
        ax.set_xticks([r['depth'] for r in records])
        ax.set_xticklabels([short_name(r['layer']) for r in records],
                           rotation=90)
        ax.set_xlabel('layer')
    else:
        ax.set_xlabel('normalised depth')


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
        _depth_axis(ax, models)
        ax.set_ylabel('ΔLog amplitude (ω = high)')
        ax.legend()
        fig.tight_layout()
    return fig


def attention_heads_figure(models: Sequence[dict], measure: str,
                           label: str, title: str):
    """Per-head values against layer, one panel per model with a shared y
    axis: a dot per head, the layer mean as a line (the scatter of Dark
    Secrets of MIM, Fig. 2). ``models``: dicts with ``name`` and
    ``records`` (``layer``, ``measure`` per head, ``mean_<measure>``)."""
    with paper_style():
        widest = max(len(m['records']) for m in models)
        fig, axes = new_figure(len(models), width=max(3.2, .3 * widest + 1.5),
                               height=3.4, sharey=True)
        for ax, model, color in zip(axes, models, model_colors(len(models))):
            records = model['records']
            for i, record in enumerate(records):
                values = _floats(record[measure])
                ax.scatter(np.full(len(values), i), values, s=12, alpha=.6,
                           color=color, linewidths=0, zorder=3,
                           label='heads' if i == 0 else None)
            ax.plot(range(len(records)),
                    _floats([r[f'mean_{measure}'] for r in records]),
                    color='black', linewidth=1.0, label='layer mean')
            ax.set_xticks(range(len(records)))
            ax.set_xticklabels([short_name(r['layer']) for r in records],
                               rotation=90)
            ax.set_xlabel('layer')
            ax.set_title(model['name'])
        axes[0].set_ylabel(label)
        axes[0].legend()
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def attention_layers_figure(models: Sequence[dict], measure: str,
                            label: str, title: str):
    """The layer mean of a per-head measure against normalised depth, one
    line per model, its heads as faint dots (``models`` as for
    :func:`attention_heads_figure`, records with ``depth``)."""
    with paper_style():
        fig, (ax, ) = new_figure(width=4.6, height=3.4)
        for model, color in zip(models, model_colors(len(models))):
            records = model['records']
            for record in records:
                values = _floats(record[measure])
                ax.scatter(np.full(len(values), record['depth']), values,
                           s=8, alpha=.3, color=color, linewidths=0)
            ax.plot([r['depth'] for r in records],
                    _floats([r[f'mean_{measure}'] for r in records]),
                    marker='o', color=color, label=model['name'])
        _depth_axis(ax, models)
        ax.set_ylabel(label)
        ax.set_title(title)
        ax.legend()
        fig.tight_layout()
    return fig


def heterogeneity_figure(models: Sequence[dict]):
    """Masked-token heterogeneity against normalised depth (layer 0: the
    embedding with the mask tokens), one line per model, with its
    uniform-affinity bound log |V| dashed. ``models``: dicts with ``name``
    and ``records`` (``layer``, ``depth``, ``heterogeneity``,
    ``max_heterogeneity``)."""
    with paper_style():
        fig, (ax, ) = new_figure(width=4.6, height=3.4)
        for k, (model, color) in enumerate(zip(models,
                                                model_colors(len(models)))):
            records = model['records']
            depths = [r['depth'] for r in records]
            ax.plot(depths, [float(r['heterogeneity']) for r in records],
                    marker='o', color=color, label=model['name'])
            ax.plot(depths, [r['max_heterogeneity'] for r in records], '--',
                    color=color, linewidth=0.8,
                    label='log |V|' if k == 0 else None)
        _depth_axis(ax, models)
        ax.set_ylabel('heterogeneity (nats)')
        ax.set_title('masked → visible token heterogeneity')
        ax.legend()
        fig.tight_layout()
    return fig


def affinity_figure(models: Sequence[dict]):
    """Affinity matrices ``A`` (masked rows × visible columns) of one image
    at a few layers, one row per model. ``models``: dicts with ``name``,
    ``maps`` (2-D arrays) and ``layers`` (their names)."""
    with paper_style():
        ncols = max(len(m['maps']) for m in models)
        fig, axes = new_figure(ncols, len(models), width=3.0, height=3.0)
        for row, model in enumerate(models):
            row_axes = axes[row * ncols:(row + 1) * ncols]
            for ax, matrix, layer in zip(row_axes, model['maps'],
                                         model['layers']):
                image = ax.imshow(matrix, cmap='viridis', aspect='auto',
                                  interpolation='nearest')
                ax.grid(False)
                ax.set_title(short_name(layer))
                ax.set_xlabel('visible token')
                fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
            for ax in row_axes[len(model['maps']):]:
                ax.set_axis_off()
            row_axes[0].set_ylabel(f'{model["name"]}\nmasked token')
        fig.tight_layout()
    return fig


def rauc_figure(baseline: dict, candidate: dict, start: float, end: float,
                value: float, metric: str, target: Optional[float] = None,
                reached: Optional[float] = None):
    """Both curves, the baseline's start level S1(E1), and the areas of the
    RAUC ratio over [E1, E2] shaded (``baseline``/``candidate``: dicts with
    ``name``, ``epochs``, ``values``); with ``target``, its level dotted and,
    with ``reached``, a cross where the candidate reaches it."""
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
        title = f'RAUC = {value:.3f}'
        if target is not None:
            ax.axhline(target, color='black', linestyle=':', linewidth=0.8,
                       label='target S1(E2)')
            if reached is not None:
                ax.plot([reached], [target], 'kx', ms=7)
                title += f', target at epoch {reached:.3g} (of {end:g})'
        ax.set_xlabel('epoch')
        ax.set_ylabel(metric)
        ax.set_title(title)
        ax.legend()
        fig.tight_layout()
    return fig
