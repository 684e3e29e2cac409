"""Plain-data encoding between the grading process and a student's kernel.

Both sides use this one module: the grading process imports it, and its source is executed in
the student's kernel (which cannot import course_tools). Values cross as a JSON document plus an
``.npz`` archive of arrays, written and read without pickle. Decoding is defensive: it accepts
only the tags below, numeric or boolean arrays, bounded sizes and nesting, so whatever a hostile
kernel writes can at worst be refused, never executed.

Tags: ``{"$nd": key}`` a NumPy array (``"scalar": true`` for a NumPy scalar), ``{"$tensor": key,
"dtype": ...}`` a torch tensor (on the CPU), ``{"$float": "nan" | "inf" | "-inf"}``, ``{"$list": [...]}``,
``{"$tuple": [...]}``, ``{"$dict": {...}}`` (string keys), ``{"$nprng": state}`` a NumPy Generator,
``{"$torchgen": key, "device": ...}`` a torch Generator, ``{"$handle": n, "type": name}`` an object
that stays in the kernel.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile

import numpy as np

MAX_DEPTH = 16
MAX_ITEMS = 10_000            # containers and scalars in one document
MAX_ELEMENTS = 50_000_000     # array elements in one archive
MAX_JSON_BYTES = 4 * 2**20
MAX_NPZ_BYTES = 512 * 2**20
_KINDS = "biuf"               # bool, signed, unsigned, float (no complex, object, strings, void)


class WireError(ValueError):
    """Data that cannot cross (on the way out) or that was refused (on the way in)."""


class Encoder:
    """Turns Python values into (document, arrays); ``handle_of`` keeps other objects by reference."""

    def __init__(self, handle_of=None):
        self.arrays: dict[str, np.ndarray] = {}
        self.handle_of = handle_of
        self.items = 0

    def _key(self, arr: np.ndarray) -> str:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = arr
        return key

    def encode(self, value, depth: int = 0):
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise WireError("the value is nested too deeply or has too many parts to send")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"$float": repr(value)}
        if isinstance(value, np.generic) and value.dtype.kind in _KINDS:
            return {"$nd": self._key(np.asarray(value)), "scalar": True}
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in _KINDS:
                raise WireError(f"arrays of dtype {value.dtype} cannot be sent (numbers or booleans only)")
            return {"$nd": self._key(np.ascontiguousarray(value))}
        if isinstance(value, np.random.Generator):
            state = value.bit_generator.state
            return {"$nprng": json.loads(json.dumps(state, default=_jsonable))}
        torch = _torch()
        if torch is not None and isinstance(value, torch.Tensor):
            t = value.detach().to("cpu")
            dtype = str(t.dtype).replace("torch.", "")
            if t.dtype == torch.bfloat16 or t.dtype == torch.float16:
                t = t.to(torch.float32)
            return {"$tensor": self._key(t.numpy().copy()), "dtype": dtype}
        if torch is not None and isinstance(value, torch.Generator):
            return {"$torchgen": self._key(value.get_state().numpy().copy()), "device": str(value.device)}
        if isinstance(value, (list, tuple)):
            tag = "$list" if isinstance(value, list) else "$tuple"
            return {tag: [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise WireError("only dictionaries with string keys can be sent")
            return {"$dict": {k: self.encode(v, depth + 1) for k, v in value.items()}}
        if self.handle_of is not None:
            return {"$handle": self.handle_of(value), "type": type(value).__name__[:80]}
        raise WireError(f"a {type(value).__name__} cannot be sent as data")


def _jsonable(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON data")


def _torch():
    import sys
    return sys.modules.get("torch")


def write(path_stem: str, document, arrays: dict[str, np.ndarray]) -> None:
    """Write ``<stem>.npz`` then ``<stem>.json`` (the JSON last: its presence means complete)."""
    np.savez(path_stem + ".npz", **arrays)
    tmp = path_stem + ".json.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(document, fh)
    os.replace(tmp, path_stem + ".json")


def read(path_stem: str) -> tuple[object, dict[str, np.ndarray]]:
    """Read what :func:`write` wrote, refusing anything oversized, pickled or of a foreign kind."""
    json_path, npz_path = path_stem + ".json", path_stem + ".npz"
    blobs = {}
    for path, limit in ((json_path, MAX_JSON_BYTES), (npz_path, MAX_NPZ_BYTES)):
        blobs[path] = _read_plain(path, limit)
    try:
        document = json.loads(blobs[json_path].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise WireError(f"unreadable document ({type(err).__name__})") from None
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(blobs[npz_path])) as zf:
            if sum(i.file_size for i in zf.infolist()) > 4 * MAX_NPZ_BYTES:
                raise WireError("the array archive expands to more than the limit")
        with np.load(io.BytesIO(blobs[npz_path]), allow_pickle=False) as archive:
            elements = 0
            for key in archive.files:
                arr = archive[key]
                if arr.dtype.kind not in _KINDS:
                    raise WireError(f"array {key!r} has dtype {arr.dtype} (numbers or booleans only)")
                elements += arr.size
                if elements > MAX_ELEMENTS:
                    raise WireError("the arrays hold more elements than the limit")
                arrays[key] = arr
    except WireError:
        raise
    except Exception as err:  # a corrupt or hostile archive: refuse it, whatever zipfile/numpy raise
        raise WireError(f"unreadable array archive ({type(err).__name__})") from None
    return document, arrays


def _read_plain(path: str, limit: int) -> bytes:
    """The bytes of a regular file, opened without following a symlink, at most ``limit`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        raise WireError(f"{os.path.basename(path)} is missing or not a plain file") from None
    try:
        import stat
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise WireError(f"{os.path.basename(path)} is not a plain file")
        if info.st_size > limit:
            raise WireError(f"{os.path.basename(path)} is larger than {limit} bytes")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise WireError(f"{os.path.basename(path)} is larger than {limit} bytes")
    return data


class Decoder:
    """Turns (document, arrays) back into values; ``handle`` maps ``$handle`` tags to objects."""

    def __init__(self, arrays: dict[str, np.ndarray], handle=None):
        self.arrays = arrays
        self.handle = handle
        self.items = 0

    def _array(self, key) -> np.ndarray:
        if not isinstance(key, str) or key not in self.arrays:
            raise WireError(f"reference to a missing array {key!r}")
        return self.arrays[key]

    def decode(self, doc, depth: int = 0):
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise WireError("the data is nested too deeply or has too many parts")
        if doc is None or isinstance(doc, (bool, int, float, str)):
            if isinstance(doc, str) and len(doc) > 100_000:
                raise WireError("a string longer than 100000 characters")
            return doc
        if isinstance(doc, list):
            raise WireError("untagged list")
        if not isinstance(doc, dict) or len(doc) == 0:
            raise WireError(f"unexpected {type(doc).__name__} in the data")
        if "$nd" in doc:
            arr = self._array(doc["$nd"]).copy()
            return arr[()] if doc.get("scalar") is True and arr.ndim == 0 else arr
        if "$float" in doc:
            if doc["$float"] not in ("nan", "inf", "-inf"):
                raise WireError("bad special float")
            return float(doc["$float"])
        if "$list" in doc or "$tuple" in doc:
            items = doc.get("$list", doc.get("$tuple"))
            if not isinstance(items, list):
                raise WireError("bad list")
            out = [self.decode(v, depth + 1) for v in items]
            return out if "$list" in doc else tuple(out)
        if "$dict" in doc:
            items = doc["$dict"]
            if not isinstance(items, dict):
                raise WireError("bad dict")
            return {str(k): self.decode(v, depth + 1) for k, v in items.items()}
        if "$tensor" in doc:
            import torch
            arr = self._array(doc["$tensor"]).copy()
            dtype = getattr(torch, str(doc.get("dtype", "")), None)
            t = torch.from_numpy(arr)
            return t.to(dtype) if isinstance(dtype, torch.dtype) else t
        if "$nprng" in doc:
            return _numpy_generator(doc["$nprng"])
        if "$torchgen" in doc:
            import torch
            state = self._array(doc["$torchgen"])
            if state.dtype != np.uint8 or state.ndim != 1:
                raise WireError("bad torch generator state")
            device = str(doc.get("device", "cpu"))
            try:
                gen = torch.Generator(device=device)
            except RuntimeError:
                gen = torch.Generator()
            gen.set_state(torch.from_numpy(state.copy()))
            return gen
        if "$handle" in doc:
            if self.handle is None or not isinstance(doc["$handle"], int):
                raise WireError("unexpected object handle")
            return self.handle(doc["$handle"], str(doc.get("type", "object"))[:80])
        raise WireError(f"unknown tag {sorted(doc)[:3]}")


def _numpy_generator(state) -> np.random.Generator:
    if not isinstance(state, dict) or state.get("bit_generator") not in ("PCG64", "PCG64DXSM", "Philox",
                                                                         "SFC64", "MT19937"):
        raise WireError("bad NumPy generator state")
    bitgen = getattr(np.random, state["bit_generator"])()
    try:
        if state["bit_generator"] == "MT19937":
            state = dict(state, state={"key": np.asarray(state["state"]["key"], dtype=np.uint32),
                                       "pos": int(state["state"]["pos"])})
        bitgen.state = state
    except (KeyError, TypeError, ValueError) as err:
        raise WireError(f"bad NumPy generator state ({err})") from None
    return np.random.Generator(bitgen)
