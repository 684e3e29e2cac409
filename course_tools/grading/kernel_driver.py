"""The kernel side of a graded call: the only grader code that runs in a student's kernel.

Its source, after :mod:`wire`'s, is executed in a private namespace of the student's kernel
before any student code runs (the kernel cannot import course_tools). It decides nothing: it
reads a request the grading process wrote (which function, which arguments), calls the student's
function, and writes back what came out as plain data. If student code tampers with it, the
only effect is wrong or missing data, which the grading process scores as a failed case.
"""

from __future__ import annotations

# Names from wire.py, executed into the same namespace first.
from course_tools.grading.wire import Decoder, Encoder, WireError, read, write  # noqa: F401  (lint only)

HANDLES: dict[int, object] = {}


def _register(obj) -> int:
    key = len(HANDLES)
    HANDLES[key] = obj
    return key


def _lookup(key: int, type_name: str):
    if key not in HANDLES:
        raise WireError(f"no object {key} in this kernel")
    return HANDLES[key]


def _target(spec: dict, user_ns: dict):
    if "name" in spec:
        if spec["name"] not in user_ns:
            raise NameError(f"name {spec['name']!r} is not defined: did its answer cell run?")
        return user_ns[spec["name"]]
    obj = _lookup(spec["handle"], "object")
    if "method" in spec:
        return getattr(obj, spec["method"])
    raise WireError("bad call target")


def serve(request_stem: str, response_stem: str, user_ns: dict) -> None:
    """Run one call described by ``<request_stem>.json/.npz``; write ``<response_stem>.json/.npz``."""
    out: dict = {"status": "ok"}
    encoder = Encoder(handle_of=_register)
    try:
        doc, arrays = read(request_stem)
        decoder = Decoder(arrays, handle=_lookup)
        args = list(decoder.decode(doc["args"]))
        kwargs = decoder.decode(doc["kwargs"])
        spec = doc["target"]
        if "attr" in spec:
            result = getattr(_lookup(spec["handle"], "object"), spec["attr"])
        else:
            result = _target(spec, user_ns)(*args, **kwargs)
    except NotImplementedError as err:
        out = {"status": "not_implemented", "message": str(err)[:500]}
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:  # the student's code raised: report it as data
        out = {"status": "raised", "type": type(err).__name__[:80], "message": str(err)[:500]}
    else:
        try:
            out["value"] = encoder.encode(result)
            out["args_after"] = encoder.encode([a if _is_array(a) else None for a in args])
        except WireError as err:
            encoder = Encoder()
            out = {"status": "unsendable", "type": type(result).__name__[:80], "message": str(err)[:500]}
    write(response_stem, out, encoder.arrays)


def _is_array(value) -> bool:
    import sys

    import numpy as np
    torch = sys.modules.get("torch")
    return isinstance(value, np.ndarray) or (torch is not None and isinstance(value, torch.Tensor))
