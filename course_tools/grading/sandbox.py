"""One sandboxed Jupyter kernel per submission, and the only way the grader talks to it.

What the sandbox uses depends on what the machine allows; :func:`capabilities` finds out once and
:attr:`Sandbox.isolation` records what one submission actually got (it goes into results.json):

* **user**: as root, a fresh unprivileged UID/GID per submission (``setpriv --reuid --regid
  --clear-groups``, no passwd entry needed, ``no_new_privs``); otherwise the grader's own user.
* **namespaces** (root with ``unshare``): new PID namespace (the kernel is its init: when it dies every
  process it started dies; ``/proc`` shows only the sandbox), network namespace (no network; the kernel's
  sockets use IPC transport, i.e. files, which work across it), mount namespace with fresh tmpfs over
  ``/tmp``, ``/var/tmp``, ``/dev/shm``, ``/root``, ``/home`` and over the submissions folder, the output
  folder, ``solutions/`` and ``course_tools`` (whichever exist), and read-only binds of the course and the
  Python environment; the sandbox's own folder and the interpreter are bound back in where they were hidden.
* **cgroup** (v1 or v2, where writable): memory limit and process limit; the memory controller also tells
  an out-of-memory kill from another death.
* **rlimits**: address space, CPU seconds, file size, processes (own UID only), open files, no core files.
* **files**: fresh HOME (= working directory, mode 700), TMPDIR, IPYTHONDIR, MPLCONFIGDIR; scrubbed
  environment; ``PYTHONDONTWRITEBYTECODE=1``, ``PYTHONNOUSERSITE=1``.
* **watchdog**: :meth:`Sandbox.execute` never waits past the submission's deadline, and a timer kills the
  sandbox at the deadline whatever the grader is doing. :meth:`Sandbox.kill` kills the process group, every
  process in the cgroup, every process of the sandbox's UID (or, as the same user, every process carrying
  the sandbox's marker in its environment), then removes the sandbox's files.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_SYSTEM_DIRS = frozenset({"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "sys", "usr"})

__all__ = ["Limits", "Capabilities", "capabilities", "Stop", "ExecResult", "Sandbox"]


@dataclass(frozen=True)
class Limits:
    """Per-submission limits. Times in seconds, sizes in MB/KB."""

    timeout_cell: float = 60
    timeout_total: float = 600
    memory_mb: int = 6144
    output_kb: int = 512
    file_mb: int = 128
    processes: int = 256
    open_files: int = 1024
    startup_s: float = 120


@dataclass(frozen=True)
class Capabilities:
    root: bool
    setpriv: bool
    namespaces: bool
    cgroup: str               # "v1", "v2" or ""
    cgroup_memory: str        # folder under which per-submission cgroups go ("" if none)
    cgroup_pids: str


def _own_cgroup(controller: str) -> str:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                return path
    except OSError:
        pass
    return ""


def _writable_cgroup(folder: Path) -> bool:
    probe = folder / f"course-probe-{secrets.token_hex(4)}"
    try:
        probe.mkdir()
        probe.rmdir()
        return True
    except OSError:
        return False


@lru_cache(maxsize=1)
def capabilities() -> Capabilities:
    """What this machine lets the grader use (probed once per process)."""
    root = os.geteuid() == 0
    setpriv = root and shutil.which("setpriv") is not None and shutil.which("prlimit") is not None
    namespaces = False
    if root and shutil.which("unshare"):
        try:
            namespaces = subprocess.run(
                ["unshare", "--net", "--pid", "--mount", "--fork", "--kill-child", "--mount-proc", "true"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            namespaces = False
    if setpriv and not namespaces and not all(_traversable(p) for p in (_python_home(), Path(sys.prefix), ROOT)):
        setpriv = False   # another UID could not even start Python here: run as the grader's user
    cg, mem, pids = "", "", ""
    base = Path("/sys/fs/cgroup")
    if root and (base / "memory").is_dir():
        m = base / "memory" / _own_cgroup("memory").lstrip("/")
        p = base / "pids" / _own_cgroup("pids").lstrip("/")
        if _writable_cgroup(m) and _writable_cgroup(p):
            cg, mem, pids = "v1", str(m), str(p)
    elif root and (base / "cgroup.controllers").is_file():
        own = base / _own_cgroup("").lstrip("/")
        try:
            enabled = (own / "cgroup.subtree_control").read_text().split()
        except OSError:
            enabled = []
        if {"memory", "pids"} <= set(enabled) and _writable_cgroup(own):
            cg, mem, pids = "v2", str(own), str(own)
    return Capabilities(root, setpriv, namespaces, cg, mem, pids)


class Stop(BaseException):
    """The sandbox was stopped: ``kind`` is timeout_cell, timeout_total, kernel_died, memory or output_limit.

    A BaseException, so that it passes through a checker's ``except Exception`` to the grader.
    """

    def __init__(self, kind: str, detail: str = ""):
        self.kind, self.detail = kind, detail
        super().__init__(f"{kind}: {detail}" if detail else kind)


@dataclass
class ExecResult:
    status: str                   # ok | error
    ename: str = ""
    output_bytes: int = 0


@dataclass
class Isolation:
    user: str = ""
    namespaces: list[str] = field(default_factory=list)
    cgroup: str = ""
    rlimits: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)


def _traversable(path: Path) -> bool:
    """Can any user reach (and read) ``path``? (Every ancestor world-executable.)"""
    path = path.resolve()
    for p in [*reversed(path.parents), path]:
        try:
            mode = p.stat().st_mode
        except OSError:
            return False
        if p.is_dir() and not mode & 0o001:
            return False
    return True


def _free_uid() -> int:
    used = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                used.add(entry.stat().st_uid)
            except OSError:
                pass
    while True:
        uid = 1_000_000 + secrets.randbelow(2**30)
        if uid not in used:
            return uid


def _python_home() -> Path:
    return Path(os.path.realpath(sys.executable)).parent.parent


class Sandbox:
    """A kernel in its own sandbox. ``start()``, ``execute(code, timeout)`` any number of times, ``kill()``.

    ``hide``: folders the kernel must not see (submissions, output, solutions, instructor tools);
    ``course_root``: the course (on the kernel's PYTHONPATH, read-only); ``deadline``: monotonic time
    after which everything is stopped (the submission's total budget).
    """

    def __init__(self, limits: Limits, course_root: Path, hide: list[Path], deadline: float,
                 base_dir: Path | None = None, env: dict[str, str] | None = None,
                 caps: Capabilities | None = None):
        self.limits, self.course_root, self.deadline = limits, Path(course_root).resolve(), deadline
        self.hide = [Path(h).resolve() for h in hide if Path(h).exists()]
        self.caps = caps or capabilities()
        self.extra_env = dict(env or {})
        self.base = Path(tempfile.mkdtemp(prefix="course-sandbox-", dir=base_dir))
        os.chmod(self.base, 0o711)
        self.home = self.base / "home"
        self.requests = self.base / "requests"     # written by the grader only
        self.responses = self.home / "io"          # written by the kernel
        self.token = secrets.token_hex(12)
        self.uid = _free_uid() if self.caps.setpriv else os.geteuid()
        self.gid = self.uid if self.caps.setpriv else os.getegid()
        self.isolation = Isolation()
        self.proc: subprocess.Popen | None = None
        self.client = None
        self.cgroups: list[Path] = []
        self._timer: threading.Timer | None = None
        self._killed = threading.Event()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ starting
    def _prepare_dirs(self) -> None:
        self.requests.mkdir(mode=0o755)
        for d in (self.home, self.home / "tmp", self.home / ".ipython", self.home / ".config" / "matplotlib",
                  self.home / ".jupyter", self.responses):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(d, 0o700)
            if self.uid != os.geteuid():
                os.chown(d, self.uid, self.gid)
        if self.uid != os.geteuid():
            os.chown(self.home / ".config", self.uid, self.gid)

    def _environment(self) -> dict[str, str]:
        home = str(self.home)
        venv_bin = str(Path(sys.executable).parent)
        env = {
            "HOME": home, "USER": "student", "LOGNAME": "student", "TMPDIR": str(self.home / "tmp"),
            "IPYTHONDIR": str(self.home / ".ipython"), "JUPYTER_RUNTIME_DIR": str(self.home / ".jupyter"),
            "JUPYTER_CONFIG_DIR": str(self.home / ".jupyter"), "JUPYTER_DATA_DIR": str(self.home / ".jupyter"),
            "MPLCONFIGDIR": str(self.home / ".config" / "matplotlib"), "MPLBACKEND": "Agg",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "PYTHONPATH": str(self.course_root),
            "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "COURSE_FAST": "1",
            "COURSE_DEVICE": "cpu", "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "COURSE_SANDBOX": self.token,
        }
        env.update(self.extra_env)
        return env

    def _rlimit_args(self) -> list[str]:
        lim = self.limits
        cpu = int(lim.timeout_total) + 5
        args = [f"--as={lim.memory_mb * 2**20}", f"--cpu={cpu}:{cpu + 5}", f"--fsize={lim.file_mb * 2**20}",
                f"--nofile={lim.open_files}", "--core=0"]
        if self.caps.setpriv:  # RLIMIT_NPROC counts processes per real UID: meaningful for an own UID only
            args.append(f"--nproc={lim.processes}")
        self.isolation.rlimits = [a.split("=")[0].lstrip("-") for a in args]
        return args

    def _mount_script(self) -> str:
        """Shell commands run as root inside the new mount namespace, before dropping privileges."""
        q = shlex.quote
        hide_tmp = [Path(p) for p in ("/tmp", "/dev/shm") if Path(p).is_dir()]
        # every top-level folder but the system's own goes under an empty tmpfs (home folders, other
        # checkouts, /var, /run's sockets, /opt, ...); what the kernel needs is bound back in below
        hide_other = [p for p in Path("/").iterdir() if p.is_dir() and not p.is_symlink()
                      and p.name not in _SYSTEM_DIRS and p not in hide_tmp] + self.hide
        hidden = hide_tmp + hide_other
        needed = [self.base, _python_home(), Path(sys.prefix).resolve(), self.course_root]

        def under(path: Path, folder: Path) -> bool:
            return path == folder or folder in path.parents

        expose = [p for p in needed if any(under(p, h) for h in hidden)]
        expose = [p for p in expose if not any(o != p and under(p, o) for o in expose)]
        stage = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path("/tmp")
        lines = ["set -e", "mount --make-rprivate /"]
        for path in (Path(sys.prefix).resolve(), _python_home(), self.course_root):
            lines += [f"mount --bind {q(str(path))} {q(str(path))}",
                      f"mount -o remount,bind,ro {q(str(path))}"]
        lines.append(f"mount -t tmpfs -o mode=755,size=1m course-stage {q(str(stage))}")
        for i, path in enumerate(expose):
            lines += [f"mkdir {q(str(stage / f's{i}'))}", f"mount --rbind {q(str(path))} {q(str(stage / f's{i}'))}"]
        top = [h for h in hidden if not any(o != h and under(h, o) for o in hidden)]
        inner = [h for h in hidden if any(e != h and under(h, e) for e in expose)]   # covered after the moves

        def cover(h: Path) -> None:
            mode = "1777" if h in hide_tmp else "755"
            lines.append(f"mount -t tmpfs -o mode={mode},size=64m course-hidden {q(str(h))}")

        for h in top:
            if h not in inner and h != stage:
                cover(h)
        for i, path in enumerate(expose):
            lines += [f"mkdir -p {q(str(path))}", f"mount --move {q(str(stage / f's{i}'))} {q(str(path))}"]
            if path != self.base:
                lines.append(f"mount -o remount,bind,ro {q(str(path))}")
        if stage in top:
            cover(stage)
        else:
            lines.append(f"umount -l {q(str(stage))}")
        for h in inner:
            lines.append(f"mount -t tmpfs -o mode=000,size=1m course-hidden {q(str(h))}")
        self.isolation.hidden = sorted({str(h) for h in top + inner})
        return "\n".join(lines)

    def _command(self, connection_file: Path) -> tuple[list[str], dict | None]:
        python = [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file),
                  "--HistoryManager.enabled=False", "--Application.log_level=CRITICAL"]
        env = self._environment()
        if not self.caps.setpriv:
            self.isolation.user = "the grader's own user (not root: no separate UID)"
            self._rlimit_args()
            return python, env
        q = shlex.quote
        drop = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--no-new-privs",
                "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()],
                "prlimit", *self._rlimit_args(), "--", *python]
        self.isolation.user = f"own unprivileged uid/gid {self.uid} (setpriv)"
        run = " ".join(q(a) for a in drop)
        cg = "".join(f"echo $$ > {q(str(c / 'cgroup.procs'))}\n" for c in self.cgroups)
        if self.caps.namespaces:
            # sh stays as the namespace's init: killed with unshare (--kill-child), it takes every process
            # of the namespace with it; the kernel itself cannot carry that signal across setpriv
            inner = self._mount_script() + f"\ncd {q(str(self.home))}\n{run} &\nwait $!\n"
            self.isolation.namespaces = ["pid", "net", "mount"]
            script = (cg + "exec unshare --net --pid --mount --fork --kill-child --mount-proc -- sh -c "
                      + q(inner) + "\n")
        else:
            script = cg + f"cd {q(str(self.home))}\nexec {run}\n"
        return ["sh", "-c", script], {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}

    def _make_cgroups(self) -> None:
        caps = self.caps
        if not caps.cgroup:
            self.isolation.cgroup = "none (not writable here): rlimits only"
            return
        name = f"course-grade-{self.token}"
        mem_bytes = self.limits.memory_mb * 2**20
        try:
            if caps.cgroup == "v1":
                mem, pids = Path(caps.cgroup_memory) / name, Path(caps.cgroup_pids) / name
                mem.mkdir()
                self.cgroups.append(mem)
                pids.mkdir()
                self.cgroups.append(pids)
                (mem / "memory.limit_in_bytes").write_text(str(mem_bytes))
                swap = mem / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    swap.write_text(str(mem_bytes))
                (pids / "pids.max").write_text(str(self.limits.processes))
            else:
                group = Path(caps.cgroup_memory) / name
                group.mkdir()
                self.cgroups.append(group)
                (group / "memory.max").write_text(str(mem_bytes))
                (group / "memory.swap.max").write_text("0") if (group / "memory.swap.max").exists() else None
                (group / "pids.max").write_text(str(self.limits.processes))
            self.isolation.cgroup = f"{caps.cgroup}: memory {self.limits.memory_mb} MB, pids {self.limits.processes}"
        except OSError as err:
            self._remove_cgroups()
            self.isolation.cgroup = f"none ({err.__class__.__name__}): rlimits only"

    def start(self) -> None:
        """Start the kernel and wait until it answers; raises Stop if it does not come up."""
        import zmq
        from jupyter_client import BlockingKernelClient
        from jupyter_client.connect import write_connection_file

        self._prepare_dirs()
        self._make_cgroups()
        conn = self.base / "kernel.json"
        write_connection_file(str(conn), transport="ipc", ip=str(self.home / "kernel"),
                              key=secrets.token_hex(32).encode())
        os.chmod(conn, 0o644)
        argv, env = self._command(conn)
        preexec = _die_with_grader if self.caps.setpriv else _rlimit_preexec(self.limits)
        self.proc = subprocess.Popen(argv, env=env, cwd=str(self.home), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=preexec)
        self._timer = threading.Timer(max(0.0, self.deadline - time.monotonic()) + 1.0, self.kill)
        self._timer.daemon = True
        self._timer.start()
        context = zmq.Context()
        client = BlockingKernelClient(context=context)
        client.load_connection_file(str(conn))
        client.start_channels()
        self.client = client
        deadline = min(self.deadline, time.monotonic() + self.limits.startup_s)
        while True:
            if self.proc.poll() is not None:
                raise Stop("kernel_died", "the kernel did not start")
            if time.monotonic() > deadline:
                raise Stop("timeout_total", "the kernel did not start in time")
            client.kernel_info()
            try:
                reply = client.get_shell_msg(timeout=1.0)
            except queue.Empty:
                continue
            if reply.get("msg_type") == "kernel_info_reply":
                break
        while True:  # drop the start-up chatter
            try:
                client.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                break

    # ------------------------------------------------------------------ running code
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and not self._killed.is_set()

    def _out_of_memory(self) -> bool:
        for group in self.cgroups:
            for name in ("memory.failcnt", "memory.events"):
                f = group / name
                try:
                    text = f.read_text()
                except OSError:
                    continue
                if name == "memory.failcnt" and text.strip() not in ("", "0"):
                    return True
                if name == "memory.events":
                    for line in text.splitlines():
                        key, _, value = line.partition(" ")
                        if key in ("oom", "oom_kill", "max") and value.strip() not in ("", "0"):
                            return True
        return False

    def _died(self) -> Stop:
        memory = self._out_of_memory()
        self.kill()
        if memory:
            return Stop("memory", "the kernel was killed at the memory limit")
        return Stop("kernel_died", "the kernel died (os._exit, a crash or a signal)")

    def execute(self, code: str, timeout: float) -> ExecResult:
        """Run ``code``; outputs are counted against the cap and discarded, never read.

        Raises :class:`Stop` (after killing the sandbox) on a timeout, a dead kernel or too much output.
        """
        import zmq

        if not self.alive():
            raise self._died()
        client = self.client
        msg_id = client.execute(code, silent=False, store_history=False, allow_stdin=False, stop_on_error=False)
        cell_deadline = time.monotonic() + timeout
        budget = self.limits.output_kb * 1024
        used = 0
        poller = zmq.Poller()
        poller.register(client.shell_channel.socket, zmq.POLLIN)
        poller.register(client.iopub_channel.socket, zmq.POLLIN)
        while True:
            now = time.monotonic()
            if now > self.deadline:
                self.kill()
                raise Stop("timeout_total", f"the submission's total time limit ({self.limits.timeout_total:g} s)")
            if now > cell_deadline:
                self.kill()
                raise Stop("timeout_cell", f"the time limit per cell and per call ({timeout:g} s)")
            if not self.alive():
                raise self._died()
            try:
                ready = dict(poller.poll(100))
            except zmq.ZMQError:
                raise self._died() from None
            if client.iopub_channel.socket in ready:
                for _ in range(1000):
                    try:
                        msg = client.iopub_channel.get_msg(timeout=0)
                    except queue.Empty:
                        break
                    if msg.get("msg_type") in ("stream", "display_data", "execute_result", "error",
                                               "update_display_data", "clear_output"):
                        used += len(json.dumps(msg.get("content", {}), default=str))
                if used > budget:
                    self.kill()
                    raise Stop("output_limit", f"more than {self.limits.output_kb} KB of output")
            if client.shell_channel.socket in ready:
                try:
                    reply = client.shell_channel.get_msg(timeout=0)
                except queue.Empty:
                    continue
                if reply.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                content = reply.get("content", {})
                return ExecResult(str(content.get("status", "error")), str(content.get("ename", ""))[:80], used)

    # ------------------------------------------------------------------ stopping
    def _kill_processes(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for _ in range(100):
            victims = set()
            for group in self.cgroups:
                try:
                    victims.update(int(p) for p in (group / "cgroup.procs").read_text().split())
                except (OSError, ValueError):
                    pass
            victims.update(self._marked_processes())
            victims.discard(os.getpid())
            if not victims:
                return
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)

    def _marked_processes(self) -> set[int]:
        """Processes of the sandbox's own UID, or (same user) those carrying its marker in their environment."""
        found = set()
        marker = f"COURSE_SANDBOX={self.token}".encode()
        own_uid = self.uid != os.geteuid()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if own_uid:
                    if entry.stat().st_uid == self.uid:
                        found.add(int(entry.name))
                elif marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.add(int(entry.name))
            except OSError:
                pass
        return found

    def _remove_cgroups(self) -> None:
        for group in reversed(self.cgroups):
            for _ in range(50):
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.02)
        self.cgroups = []

    def kill(self) -> None:
        """Stop everything the sandbox started (idempotent, safe from the watchdog's thread)."""
        with self._lock:
            self._killed.set()
            self._kill_processes()
            if self.proc is not None:
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass

    def close(self) -> None:
        """Kill, disconnect, and remove every file and cgroup of the sandbox."""
        if self._timer is not None:
            self._timer.cancel()
        self.kill()
        if self.client is not None:
            try:
                self.client.stop_channels()
                self.client.context.destroy(linger=0)
            except Exception:  # noqa: BLE001 - closing must not fail
                pass
        self._remove_cgroups()
        if self.caps.setpriv and not self.caps.namespaces:
            _remove_owned(self.uid, [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")])
        shutil.rmtree(self.base, ignore_errors=True)


def _remove_owned(uid: int, folders: list[Path]) -> None:
    """Delete what ``uid`` left in shared temporary folders (no mount namespace to throw away)."""
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.lstat().st_uid != uid:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink()
            except OSError:
                pass


def _die_with_grader() -> None:
    """In the child before exec: SIGKILL it when the grading process dies (a killed grader leaves nothing)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _rlimit_preexec(limits: Limits):
    """Limits for a kernel that runs as the grader's own user (no setpriv/prlimit wrapper)."""
    import resource

    cpu = int(limits.timeout_total) + 5
    values = [(resource.RLIMIT_AS, limits.memory_mb * 2**20), (resource.RLIMIT_CPU, cpu),
              (resource.RLIMIT_FSIZE, limits.file_mb * 2**20), (resource.RLIMIT_NOFILE, limits.open_files),
              (resource.RLIMIT_CORE, 0)]

    def apply() -> None:
        _die_with_grader()
        for which, value in values:
            hard = resource.getrlimit(which)[1]
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            top = value + 5 if which == resource.RLIMIT_CPU else value
            if hard != resource.RLIM_INFINITY:
                top = min(top, hard)
            resource.setrlimit(which, (value, top))

    return apply
