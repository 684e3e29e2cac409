"""Chapter 05 widget: the Gibbs sample viewer draws from rbm.gibbs_frames and builds headlessly."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib import rbm
from course_lib.datasets import shapes_8x8
from course_lib.widgets import ch05


def test_viewer_draws_each_recorded_step():
    pytest.importorskip("ipywidgets")    # a bare GPU machine (scripts/gpu_check.sh) may not have it
    X = torch.tensor(shapes_8x8()[0], dtype=torch.float32)
    model = rbm.RBM(64, 5, device="cpu", rng=torch.Generator().manual_seed(0)).init_visible_bias_(X)
    steps = [1, 3, 10]
    frames = rbm.gibbs_frames(model, X[:4], steps, rng=torch.Generator().manual_seed(1)).numpy()
    fig = ch05.draw_frame(frames, steps, 2, (8, 8), ncols=4)
    assert "after 10 Gibbs steps" in fig._suptitle.get_text()
    grid = np.asarray(fig.axes[0].images[0].get_array())  # one tiled picture, 1-pixel gaps, 4 per row
    shown = np.array([grid[1 + 9 * r:9 + 9 * r, 1 + 9 * c:9 + 9 * c] for r, c in (divmod(i, 4) for i in range(4))])
    assert shown.shape == (4, 8, 8) and np.allclose(shown.reshape(4, 64), 2 * frames[2] - 1)
    plt.close(fig)
    box = ch05.gibbs_explorer(model, X[:4], steps, shape=(8, 8), rng=torch.Generator().manual_seed(1))
    slider = box.children[1].children[0]
    assert slider.value == len(steps) - 1 and [label for label, _ in slider.options] == ["1", "3", "10"]
    plt.close("all")
