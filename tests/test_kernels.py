"""Kernels the tools start talk over IPC sockets: no TCP port, and no 'without encryption' warning."""

import subprocess
import sys

import nbformat
from conftest import ROOT
from nbclient import NotebookClient

from course_lib.kernels import IPC_AVAILABLE, client_kwargs
from course_tools.author import code, parameters, write

TRANSPORT = ("import json, ipykernel.connect\n"
             "print('transport', json.load(open(ipykernel.connect.get_connection_file()))['transport'])")


def test_a_client_with_these_kwargs_starts_an_ipc_kernel_and_cleans_up(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TRANSPORT)])
    client = NotebookClient(nb, kernel_name="python3", **client_kwargs())
    client.execute()
    assert nb.cells[0].outputs[0]["text"].strip() == ("transport ipc" if IPC_AVAILABLE else "transport tcp")
    assert client.km is None or not client.km.has_kernel  # shut down by nbclient
    assert not getattr(client.km, "_ipc_dir", None), "the private socket folder is removed"


def test_course_run_prints_no_tcp_warning(tmp_path):
    nb = write(tmp_path / "01_ipc.ipynb", [parameters(), code(TRANSPORT)])
    done = subprocess.run([sys.executable, "-m", "course_tools.cli", "run", "--no-html", "--out", str(tmp_path / "b"),
                           str(nb)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "without encryption" not in output and "WARNING" not in output, output
    executed = nbformat.read(tmp_path / "b" / "executed" / "01_ipc.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "transport ipc" in printed
