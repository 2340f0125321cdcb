"""``classbook setup-machine``: install the Debian packages the build and its checks need."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path
from typing import Any

SETUP = Path(__file__).parent / "setup"


def setup_machine(args: argparse.Namespace) -> int:
    """Install what ``setup/debian-packages.txt`` lists and is missing (root or sudo)."""
    return subprocess.run(
        ["bash", str(SETUP / "install-debian-packages.sh")], check=False
    ).returncode


def add_commands(commands: Any) -> None:
    """Register ``setup-machine``."""
    parser = commands.add_parser(
        "setup-machine", help="install the Debian packages the build needs (root or sudo)"
    )
    parser.set_defaults(run=setup_machine)
