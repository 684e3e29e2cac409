import shutil

import numpy as np
import pytest

from course_lib import datasets
from course_lib.datasets import binarize, corrupt, letter_patterns, load_mnist, shapes_8x8


def test_mnist_test_split_loads_with_known_facts():
    images, labels = load_mnist("test")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.int64
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the well-known first test labels
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert images.max() == 255 and images.min() == 0


def test_mnist_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte.gz"):
        load_mnist(directory=tmp_path)


def test_mnist_corrupt_file_names_it(tmp_path):
    src = datasets.data_dir() / "mnist"
    for f in src.glob("*.gz"):
        shutil.copy(f, tmp_path / f.name)
    target = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(target.read_bytes())
    raw[-1] ^= 0xFF
    target.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz.*corrupt"):
        load_mnist(directory=tmp_path)


def test_mnist_unknown_split():
    with pytest.raises(ValueError, match="only the MNIST test split"):
        load_mnist("train")


def test_letters_are_pm1_distinct_and_include_the_seed_three():
    patterns, names = letter_patterns()
    assert patterns.shape == (len(names), 25) and len(names) >= 8
    assert set(np.unique(patterns)) == {-1.0, 1.0}
    assert {"0", "1", "X"} <= set(names)
    assert len({p.tobytes() for p in patterns}) == len(names)
    one, _ = letter_patterns(["1"])
    assert one.reshape(5, 5)[:, 2].tolist() == [1.0] * 5  # a vertical bar in the middle column
    with pytest.raises(ValueError, match="unknown glyph"):
        letter_patterns(["?"])


def test_shapes_are_binary_and_distinct():
    shapes, names = shapes_8x8()
    assert shapes.shape == (8, 64) and set(np.unique(shapes)) == {0.0, 1.0}
    assert len({s.tobytes() for s in shapes}) == len(names)


def test_binarize_threshold_and_shape():
    images = np.array([[[0, 128], [127, 255]]], dtype=np.uint8)
    assert binarize(images).tolist() == [[-1.0, 1.0, -1.0, 1.0]]
    assert binarize(images, threshold=0).tolist() == [[-1.0, 1.0, 1.0, 1.0]]
    with pytest.raises(ValueError):
        binarize(np.zeros(3))


def test_binarize_understands_images_scaled_to_0_1():
    images = np.array([[[0, 128], [127, 255]]], dtype=np.uint8)
    assert np.array_equal(binarize(images / 255), binarize(images))    # threshold 0.5 for [0, 1] input
    with pytest.raises(ValueError, match="scaled to \\[0, 1\\]"):
        binarize(images / 255, threshold=127)
    with pytest.raises(ValueError, match="images contains NaN"):
        binarize(np.full((1, 2, 2), np.nan))


def test_letter_patterns_of_no_letters_has_25_columns():
    patterns, names = letter_patterns([])
    assert patterns.shape == (0, 25) and names == []
    with pytest.raises(ValueError, match="unknown glyph"):
        letter_patterns([1])


def test_corrupt_flip_rate_and_edges():
    rng = np.random.default_rng(0)
    x = np.ones((200, 100))
    y = corrupt(x, 0.15, rng)
    assert abs((y == -1).mean() - 0.15) < 0.01  # 20,000 flips at p = 0.15: sd 0.0025
    assert np.array_equal(corrupt(x, 0.0, rng), x)
    assert np.array_equal(corrupt(x, 1.0, rng), -x)
    assert np.array_equal(x, np.ones((200, 100)))  # input untouched
    with pytest.raises(ValueError, match="\\[0, 1\\]"):
        corrupt(x, 1.5, rng)
    with pytest.raises(ValueError, match="\\+1 and -1"):
        corrupt(np.zeros(4), 0.1, rng)
    with pytest.raises(ValueError, match="rng"):
        corrupt(x, 0.1, "0")
    with pytest.raises(ValueError, match="flip probability p"):
        corrupt(x, np.nan, 0)
    assert np.array_equal(corrupt(x, 0.3, 5), corrupt(x, 0.3, 5))  # an int seed is reproducible
