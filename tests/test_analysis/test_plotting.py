"""Shared figure helpers."""
import numpy as np

from sgmim.analysis.plotting import (heatmap, model_colors, new_figure,
                                     short_name)


def test_short_names():
    assert short_name('backbone.stages.2.blocks.3.norm1') == 's2.b3.norm1'
    assert short_name('backbone.layers.5') == 'L5'
    assert short_name('backbone.norm3') == 'norm3'
    assert short_name('neck.decoder_blocks.0') == 'neck.decoder_blocks.0'


def test_heatmap_shows_the_matrix():
    matrix = np.arange(6.).reshape(2, 3) / 5
    fig, (ax, ) = new_figure()
    image = heatmap(ax, matrix, ['a', 'b'], ['x', 'y', 'z'], title='t')
    np.testing.assert_array_equal(image.get_array(), matrix)
    assert [t.get_text() for t in ax.get_xticklabels()] == ['x', 'y', 'z']
    assert len(fig.axes) == 2  # with its colour bar
    assert len(model_colors(12)) == 12 and len(set(model_colors(3))) == 3
    assert len(new_figure(3, 2)[1]) == 6
