"""Stand-ins for a student's functions on the trusted side of grading.

A checker in ``course_lib.checks`` calls the learner's function. When grading, that function is
a :class:`RemoteFunction`: each call is written as plain data, run in the student's kernel by
:mod:`kernel_driver`, and its result read back as plain data, so the checker (and its verdict)
runs in the grading process, which never executes student code.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from . import wire

__all__ = ["RemoteError", "CallFailed", "RemoteFunction", "RemoteObject", "Channel"]


class RemoteError(Exception):
    """The student's code raised: ``type_name`` and ``message`` say what, as reported by the kernel."""

    def __init__(self, type_name: str, message: str):
        self.type_name, self.message = type_name, message
        super().__init__(f"{type_name}: {message}")


class CallFailed(Exception):
    """No usable answer came back (timeout, dead kernel, refused data): the case fails."""


class Channel:
    """Sends calls to one kernel. ``run(code, timeout)`` executes code there and returns when done;
    ``io_dir`` is a folder both sides can use for the request and response files."""

    def __init__(self, run: Callable[[str, float], None], io_dir: str, call_timeout: float = 60.0,
                 response_dir: str | None = None):
        self.run, self.io_dir, self.call_timeout = run, io_dir, call_timeout
        self.response_dir = response_dir or io_dir   # requests where the kernel cannot write, when possible
        self._ids = itertools.count()

    def call(self, target: dict, args: tuple, kwargs: dict):
        n = next(self._ids)
        req, resp = f"{self.io_dir}/req{n}", f"{self.response_dir}/resp{n}"
        enc = wire.Encoder(handle_of=_handle_id)
        doc = {"target": target, "args": enc.encode(list(args)), "kwargs": enc.encode(dict(kwargs))}
        wire.write(req, doc, enc.arrays)
        self.run(f"__course_serve({req!r}, {resp!r})", self.call_timeout)
        try:
            out, arrays = wire.read(resp)
            if not isinstance(out, dict):
                raise wire.WireError("the response is not a record")
            status = out.get("status")
            dec = wire.Decoder(arrays, handle=lambda key, type_name: RemoteObject(self, key, type_name))
            if status == "ok":
                value = dec.decode(out.get("value"))
                _copy_back(args, dec.decode(out.get("args_after", {"$list": []})))
                return value
        except wire.WireError as err:
            raise CallFailed(f"the kernel's answer was refused: {err}") from None
        if status == "not_implemented":
            raise NotImplementedError(str(out.get("message", "")))
        if status == "raised":
            raise RemoteError(str(out.get("type", "Exception"))[:80], str(out.get("message", ""))[:500])
        if status == "unsendable":
            raise RemoteError("UnsendableResult", f"your function returned a {str(out.get('type'))[:80]}, "
                              "which is not an array, a number or a list/tuple/dict of them")
        raise CallFailed("the kernel sent an answer the grader does not understand")


def _handle_id(value) -> int:
    if isinstance(value, RemoteObject):
        return value._key
    raise wire.WireError(f"a {type(value).__name__} cannot be sent to the student's kernel")


def _copy_back(args: tuple, after) -> None:
    """Mirror in-place changes the student's function made to array arguments."""
    if not isinstance(after, list) or len(after) != len(args):
        return
    for original, new in zip(args, after):
        if new is None:
            continue
        if isinstance(original, np.ndarray) and isinstance(new, np.ndarray) and original.shape == new.shape:
            if original.flags.writeable:
                np.copyto(original, new, casting="unsafe")
        elif hasattr(original, "copy_") and hasattr(new, "shape") and tuple(original.shape) == tuple(new.shape):
            import torch
            with torch.no_grad():
                original.copy_(torch.as_tensor(np.asarray(new)))


class RemoteFunction:
    """Calls the student's function ``name`` in the kernel."""

    course_remote = True

    def __init__(self, channel: Channel, name: str):
        self._channel, self.__name__ = channel, name

    def __call__(self, *args, **kwargs):
        return self._channel.call({"name": self.__name__}, args, kwargs)

    def __repr__(self) -> str:
        return f"<student's {self.__name__}>"


class RemoteObject:
    """An object that stayed in the kernel (e.g. an instance of the student's class)."""

    course_remote = True

    def __init__(self, channel: Channel, key: int, type_name: str):
        self._channel, self._key, self._type_name = channel, key, type_name

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        channel, key = self._channel, self._key

        def method(*args, **kwargs):
            return channel.call({"handle": key, "method": name}, args, kwargs)

        return method

    def attribute(self, name: str):
        return self._channel.call({"handle": self._key, "attr": name}, (), {})

    def __call__(self, *args, **kwargs):
        return self._channel.call({"handle": self._key, "method": "__call__"}, args, kwargs)

    def __repr__(self) -> str:
        return f"<student's {self._type_name} object>"


def kernel_bootstrap() -> str:
    """Code to run first in a student's kernel: defines ``__course_serve(request, response)``.

    Built from the real sources of :mod:`wire` and :mod:`kernel_driver` (lint-checked files),
    executed in a private namespace of the kernel.
    """
    from pathlib import Path

    here = Path(__file__).resolve().parent
    lines: list[str] = []
    for name in ("wire.py", "kernel_driver.py"):
        for line in (here / name).read_text(encoding="utf-8").splitlines():
            if line.startswith("from __future__") or "(lint only)" in line:
                continue
            lines.append(line)
    body = "\n".join(lines)
    return (
        "def __course_boot():\n"
        "    namespace = {'__name__': 'course_grader_driver'}\n"
        f"    exec(compile({body!r}, '<course-grader>', 'exec'), namespace)\n"
        "    user_ns = get_ipython().user_ns\n"
        "    serve = namespace['serve']\n"
        "    return lambda request, response: serve(request, response, user_ns)\n"
        "__course_serve = __course_boot()\n"
        "del __course_boot\n"
    )
