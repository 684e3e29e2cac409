"""Kernels that the course's commands start: IPC transport (Unix sockets in a private folder), no TCP.

ipykernel warns "Kernel is running over TCP without encryption" on every kernel started over TCP; a
kernel on IPC sockets has no open port at all, so there is nothing to warn about and nothing for other
users of the machine to connect to. Every tool that starts a kernel through nbclient (``course run``
with papermill, ``course check``, ``course grade``) passes ``**client_kwargs()``::

    from course_lib.kernels import client_kwargs
    NotebookClient(nb, kernel_name="python3", **client_kwargs())
    papermill.execute_notebook(src, out, kernel_name="python3", **client_kwargs())

Where Unix sockets do not exist (Windows), kernels stay on TCP (loopback only), as before.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

from jupyter_client.manager import AsyncKernelManager
from traitlets import default

__all__ = ["IPC_AVAILABLE", "IPCKernelManager", "client_kwargs"]

IPC_AVAILABLE = sys.platform != "win32"


class IPCKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel listens on Unix sockets in a fresh private folder."""

    _ipc_dir: str | None = None

    @default("transport")
    def _transport_default(self) -> str:
        return "ipc" if IPC_AVAILABLE else "tcp"

    @default("ip")
    def _ip_default(self) -> str:
        if self.transport != "ipc":
            return super()._ip_default()
        # A short absolute path (a Unix socket path must stay under about 100 characters), readable by
        # this user only, one per kernel so that kernels started at the same time never share a socket.
        self._ipc_dir = tempfile.mkdtemp(prefix="course-kernel-")
        return os.path.join(self._ipc_dir, "k")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        """Also remove the private socket folder once the kernel is gone for good."""
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._ipc_dir:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = None

    cleanup_resources = _async_cleanup_resources  # what nbclient awaits (AsyncKernelManager does the same)

def client_kwargs() -> dict:
    """Keyword arguments for ``nbclient.NotebookClient`` (and papermill) that start IPC kernels."""
    return {"kernel_manager_class": IPCKernelManager}
