"""Check-only builds from one process that has imported Sphinx and the book's extensions.

``python -m sphinx`` spends about 2 of its 3 seconds on a small book importing Sphinx, the
theme and classbook. The corpus runs fifty such builds, so :class:`CheckServer` starts one
Python process that imports them once and forks a fresh child for each build: every build
still starts from a clean process (nothing a build sets survives it) but pays no import.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

#: What the server imports before its first fork: what the generated conf.py names.
PRELOAD = ("sphinx.cmd.build", "myst_parser", "sphinx_book_theme", "classbook.extension")


class CheckServer:
    """One server process: :meth:`run` sends it a project and gets the build's exit status
    and its output. One build at a time per server; use one server per core."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lock = threading.Lock()

    def run(self, project: Path, args: list[str], timeout: int) -> subprocess.CompletedProcess[str]:
        """``python -m sphinx ARGS`` in ``project``, as a fork of the server."""
        assert self.process.stdin is not None and self.process.stdout is not None
        with self.lock, tempfile.NamedTemporaryFile("r", encoding="utf-8") as output:
            request = {"cwd": str(project), "args": args, "output": output.name}
            self.process.stdin.write(json.dumps({**request, "timeout": timeout}) + "\n")
            self.process.stdin.flush()
            reply = self.process.stdout.readline()
            if not reply:
                raise RuntimeError("the check server ended")
            status = json.loads(reply)["status"]
            text = output.read()
        if status == -signal.SIGALRM:
            text += f"\nthe check took longer than {timeout} s"
        return subprocess.CompletedProcess(args, status, "", text)

    def close(self) -> None:
        """End the server: its input closed, it ends; its pipes closed, it is waited for."""
        with self.process:
            if self.process.stdin is not None:
                self.process.stdin.close()

    def __enter__(self) -> CheckServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _build(request: dict) -> None:
    """In the forked child: the build, its output to the request's file; never returns."""
    status = 70
    try:
        fd = os.open(request["output"], os.O_WRONLY | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.chdir(request["cwd"])
        sys.path.insert(0, request["cwd"])  # as ``python -m`` puts the folder it starts in
        signal.alarm(request["timeout"])  # the default action ends the child
        from sphinx.cmd.build import build_main

        status = build_main(request["args"])
    except BaseException:  # a crash is the check's failure, told in its output
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def serve() -> None:
    """The server: one JSON request per line in, one status per line out."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _build(request)
        _, waited = os.waitpid(pid, 0)
        sys.stdout.write(json.dumps({"status": os.waitstatus_to_exitcode(waited)}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
