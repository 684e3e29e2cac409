"""Data the course uses: 5x5 letters, 8x8 shapes, the bundled MNIST test split, and noise.

MNIST: the test split of the MNIST database (LeCun, Cortes and Burges), CC BY-SA 3.0,
shipped in ``data/mnist`` as the original gzipped IDX files and read here without any
download. See ``data/mnist/README.md``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

from .core import as_finite, as_probability, as_rng, as_spins

__all__ = ["letter_patterns", "shapes_8x8", "MNIST_FILES", "data_dir", "load_mnist", "binarize", "corrupt"]

_GLYPHS = {
    # The seed notebook's three patterns first ("0", "1", "X"), then letters.
    "0": [".###.", "#...#", "#...#", "#...#", ".###."],
    "1": ["..#..", "..#..", "..#..", "..#..", "..#.."],
    "X": ["#...#", ".#.#.", "..#..", ".#.#.", "#...#"],
    "A": [".###.", "#...#", "#####", "#...#", "#...#"],
    "C": [".####", "#....", "#....", "#....", ".####"],
    "E": ["#####", "#....", "####.", "#....", "#####"],
    "H": ["#...#", "#...#", "#####", "#...#", "#...#"],
    "L": ["#....", "#....", "#....", "#....", "#####"],
    "T": ["#####", "..#..", "..#..", "..#..", "..#.."],
    "Z": ["#####", "...#.", "..#..", ".#...", "#####"],
}

MNIST_FILES = {
    "test": {
        "images": ("t10k-images-idx3-ubyte.gz",
                   "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        "labels": ("t10k-labels-idx1-ubyte.gz",
                   "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    },
}


def letter_patterns(names: str | list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """5x5 glyphs as +-1 patterns: returns ``(patterns (k, 25), names)``.

    '#' is +1 (ink), '.' is -1. Without ``names`` all glyphs come back, in a fixed order
    (the seed's "0", "1", "X", then letters), enough to overload a 25-neuron network.
    """
    chosen = list(_GLYPHS) if names is None else list(names)
    unknown = [n for n in chosen if not isinstance(n, str) or n not in _GLYPHS]
    if unknown:
        raise ValueError(f"unknown glyph(s) {unknown}; available: {''.join(_GLYPHS)}")
    rows = [[1.0 if ch == "#" else -1.0 for ch in "".join(_GLYPHS[n])] for n in chosen]
    return np.array(rows, dtype=np.float64).reshape(len(chosen), 25), chosen


def shapes_8x8() -> tuple[np.ndarray, list[str]]:
    """Eight 8x8 binary shapes (0/1 pixels): returns ``(shapes (8, 64), names)``."""
    yy, xx = np.mgrid[0:8, 0:8]
    masks = {
        "square": (np.maximum(abs(yy - 3.5), abs(xx - 3.5)) < 3) & (np.maximum(abs(yy - 3.5), abs(xx - 3.5)) > 1.5),
        "cross": (abs(xx - 3.5) < 1) | (abs(yy - 3.5) < 1),
        "diagonal": abs(xx - yy) < 1,
        "anti-diagonal": abs(xx + yy - 7) < 1,
        "disc": (xx - 3.5) ** 2 + (yy - 3.5) ** 2 < 9,
        "top-bar": yy < 3,
        "left-bar": xx < 3,
        "checker": (xx // 2 + yy // 2) % 2 == 0,
    }
    names = list(masks)
    return np.array([masks[n].ravel() for n in names], dtype=np.float64), names


def data_dir() -> Path:
    """The folder holding the bundled data sets: ``COURSE_DATA`` if set, else the copy inside the installed
    package (a non-editable ``pip install .`` puts it in course_lib/data/), else data/ of the checkout."""
    override = os.environ.get("COURSE_DATA")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    return here / "data" if (here / "data").is_dir() else here.parent / "data"


def _read_checked(path: Path, sha256: str) -> bytes:
    if not path.is_file():
        raise FileNotFoundError(
            f"MNIST file {path} is missing; the course ships it in data/mnist/ "
            "(restore it with `git checkout -- data/mnist`)")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        raise ValueError(f"MNIST file {path} is corrupt: sha256 {digest[:12]}... "
                         f"does not match the expected {sha256[:12]}...")
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as err:  # pragma: no cover - guarded by the checksum
        raise ValueError(f"MNIST file {path} is not valid gzip: {err}") from None


def _parse_idx(data: bytes, magic: int, path: Path) -> np.ndarray:
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise ValueError(f"{path}: IDX magic number {found:#010x}, expected {magic:#010x}")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims))
    if len(data) - offset != expected:
        raise ValueError(f"{path}: header promises {expected} bytes of data, found {len(data) - offset}")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def load_mnist(split: str = "test", directory: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The bundled MNIST split: ``(images uint8 (n, 28, 28), labels int64 (n,))``.

    Reads the IDX files itself, verifies their SHA-256 checksums, and raises
    FileNotFoundError or ValueError naming the file when one is missing or corrupt.
    Only the test split (10,000 images) ships with the course.
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split must be one of {sorted(MNIST_FILES)}, got {split!r} "
                         "(the course ships only the MNIST test split)")
    folder = Path(directory) if directory is not None else data_dir() / "mnist"
    img_name, img_sha = MNIST_FILES[split]["images"]
    lab_name, lab_sha = MNIST_FILES[split]["labels"]
    images = _parse_idx(_read_checked(folder / img_name, img_sha), 0x00000803, folder / img_name)
    labels = _parse_idx(_read_checked(folder / lab_name, lab_sha), 0x00000801, folder / lab_name)
    if len(images) != len(labels):
        raise ValueError(f"{folder}: {len(images)} images but {len(labels)} labels")
    return images.copy(), labels.astype(np.int64)


def binarize(images, threshold: float | None = None) -> np.ndarray:
    """Flatten images and map pixels above ``threshold`` to +1, the rest to -1: (n, d) float.

    The default threshold is the middle of the pixel range: 127 for 0..255 pixels (what
    ``load_mnist`` returns), 0.5 for images already scaled to [0, 1] (floats with every value in
    [0, 1]). An explicit threshold outside the range of such scaled images raises ValueError
    instead of turning every pixel to -1.
    """
    arr = as_finite(images, "images")
    if arr.ndim < 2 or arr.shape[0] == 0:
        raise ValueError(f"images must have shape (n, ...) with n >= 1, got {arr.shape}")
    scaled = not np.issubdtype(np.asarray(images).dtype, np.integer) and arr.min() >= 0 and arr.max() <= 1
    if threshold is None:
        threshold = 0.5 if scaled else 127.0
    threshold = float(as_finite(threshold, "threshold"))
    if scaled and threshold >= 1:
        raise ValueError(f"images are scaled to [0, 1] but threshold = {threshold} is for 0..255 pixels: every "
                         "pixel would become -1; leave threshold out (0.5 is used) or pass one in [0, 1)")
    flat = arr.reshape(arr.shape[0], -1)
    return np.where(flat > threshold, 1.0, -1.0)


def corrupt(patterns, p: float, rng=None) -> np.ndarray:
    """Flip each unit of +-1 ``patterns`` independently with probability ``p``; a new array.

    ``rng``: None (fresh randomness), an int seed or a np.random.Generator."""
    p = as_probability(p, "flip probability p")
    rng = as_rng(rng)
    spins = as_spins(patterns, name="patterns")
    flips = rng.random(spins.shape) < p
    return np.where(flips, -spins, spins)
