"""The node tools (temml, speech-rule-engine): installed once per virtualenv from our lockfile."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: Our package.json, package-lock.json and mathtool.mjs, shipped as package data.
NODE_DIR = Path(__file__).parent / "node"
SCRIPT = NODE_DIR / "mathtool.mjs"
LOCKFILES = ("package.json", "package-lock.json")
#: temml 0.13 needs Node.js 18.13; speech-rule-engine 4.1 needs 18.
MIN_NODE = (18, 13)
#: Set to a folder to install the tools there instead of under the virtualenv.
ENV_FOLDER = "CLASSBOOK_FORMULA_TOOLS"


class ToolsError(RuntimeError):
    """node or npm is missing, or the tools cannot be installed: the message is one line."""


@dataclass(frozen=True, slots=True)
class Tools:
    """What a batch needs to run: node, the script, and the folder holding node_modules."""

    node: str
    script: Path
    modules: Path


def lock_digest() -> str:
    """The lockfiles' SHA-256: a change of pins installs into a new folder."""
    sha = hashlib.sha256()
    for name in LOCKFILES:
        sha.update(name.encode() + b"\0" + (NODE_DIR / name).read_bytes() + b"\0")
    return sha.hexdigest()


def pinned_versions() -> dict[str, str]:
    """The exact version of each package the lockfile installs (for the cache keys)."""
    lock = json.loads((NODE_DIR / "package-lock.json").read_text(encoding="utf-8"))
    return {
        name.removeprefix("node_modules/"): entry["version"]
        for name, entry in lock["packages"].items()
        if name.startswith("node_modules/")
    }


def tools_root() -> Path:
    """Where the tools go: under the virtualenv (every book built with this interpreter shares
    them), or the user's cache folder when the virtualenv cannot be written."""
    if chosen := os.environ.get(ENV_FOLDER):
        return Path(chosen)
    root = Path(sys.prefix) / "share" / "classbook" / "formulas"
    probe = root
    while not probe.exists():  # the nearest folder there is decides
        probe = probe.parent
    if os.access(probe, os.W_OK):
        return root
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "classbook" / "formulas"


@functools.cache
def ensure_tools() -> Tools:
    """The node tools, installed with ``npm ci`` the first time (keyed by the lockfile's hash;
    later calls, and later builds, find them in place). Raises ToolsError with one line."""
    node = _node()
    folder = tools_root() / lock_digest()[:16]
    if not (folder / ".complete").exists():
        _install(folder)
    return Tools(node=node, script=SCRIPT, modules=folder)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise ToolsError(
            "formulas need Node.js 18.13 or later and npm, and 'node' is not on PATH "
            "(Debian: apt-get install nodejs npm)"
        )
    try:
        out = subprocess.run(
            [node, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError) as err:
        raise ToolsError(f"formulas need Node.js, and '{node} --version' failed: {err}") from err
    found = re.match(r"v(\d+)\.(\d+)", out.strip())
    if not found or (int(found.group(1)), int(found.group(2))) < MIN_NODE:
        raise ToolsError(
            f"formulas need Node.js 18.13 or later, and {node} is {out.strip() or 'unknown'}"
        )
    return node


def _install(folder: Path) -> None:
    """``npm ci`` into a staging folder renamed into place, under a lock: two builds starting
    at once install once, and a build stopped half-way leaves no folder that looks complete."""
    npm = shutil.which("npm")
    if npm is None:
        raise ToolsError(
            "formulas need npm to install temml and speech-rule-engine once, and 'npm' is not "
            "on PATH (Debian: apt-get install npm)"
        )
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / ".complete").exists():
            return
        staging = folder.with_name(f".{folder.name}.{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for name in LOCKFILES:
            shutil.copyfile(NODE_DIR / name, staging / name)
        # --ignore-scripts: neither package needs an install script, and none should run.
        command = [npm, "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"]
        done = subprocess.run(
            [*command, "--loglevel=error"],
            cwd=staging,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "npm_config_update_notifier": "false"},
        )
        if done.returncode or not (staging / "node_modules" / "temml").is_dir():
            shutil.rmtree(staging, ignore_errors=True)
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            why = lines[-1].strip() if lines else f"exit status {done.returncode}"
            raise ToolsError(f"'npm ci' could not install the formula tools into {folder}: {why}")
        (staging / ".complete").write_text(lock_digest() + "\n", encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)  # a folder left without .complete
        os.replace(staging, folder)


if __name__ == "__main__":
    # `python -m classbook.formulas.tools`: install ahead of a build (e.g. in `make setup`).
    try:
        print(ensure_tools().modules)  # noqa: T201 - the command's answer
    except ToolsError as err:
        sys.exit(f"error: {err}")
