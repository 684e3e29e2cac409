"""course_lib.plotting.pattern_grid: one tiled picture (torchvision's make_grid) that shows exactly the patterns."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib.plotting import pattern_grid


def test_each_tile_is_its_pattern_and_gaps_are_white():
    rng = np.random.default_rng(0)
    patterns = rng.choice([-1.0, 1.0], size=(7, 12))  # 7 images of 3 x 4, 3 per row
    fig = pattern_grid(patterns, (3, 4), ncols=3)
    [ax] = fig.axes
    grid = np.asarray(ax.images[0].get_array())
    pad = 1
    assert grid.shape == (3 * (3 + pad) + pad, 3 * (4 + pad) + pad)
    for idx in range(7):
        row, col = divmod(idx, 3)
        top, left = pad + row * (3 + pad), pad + col * (4 + pad)
        np.testing.assert_array_equal(grid[top:top + 3, left:left + 4], patterns[idx].reshape(3, 4))
    assert np.all(grid[0] == -1) and np.all(grid[:, 0] == -1)  # gaps are white (-1 in gray_r)
    assert ax.images[0].get_clim() == (-1.0, 1.0)
    plt.close(fig)


def test_titles_sit_above_their_images_and_real_values_keep_their_range():
    patterns = np.linspace(-3, 2, 4 * 25).reshape(4, 25)
    fig = pattern_grid(patterns, (5, 5), titles=["a", "b", "c", "d"], ncols=2, suptitle="demo")
    [ax] = fig.axes
    texts = {t.get_text(): t.get_position() for t in ax.texts}
    assert set(texts) == {"a", "b", "c", "d"}
    assert texts["a"][1] == texts["b"][1] < texts["c"][1] == texts["d"][1]
    assert texts["a"][0] == texts["c"][0] < texts["b"][0] == texts["d"][0]
    assert ax.images[0].get_clim() == (-3.0, 2.0) and fig._suptitle.get_text() == "demo"
    plt.close(fig)


@pytest.mark.parametrize("patterns,shape,kwargs,match", [
    (np.ones((2, 10)), (3, 3), {}, "shape \\(3, 3\\) needs 9"),
    (np.ones((0, 9)), (3, 3), {}, "patterns: no images"),
    (np.ones((2, 9)), (3, 3), {"titles": ["one"]}, "titles: 1 titles for 2 images"),
])
def test_bad_input_is_refused(patterns, shape, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pattern_grid(patterns, shape, **kwargs)
