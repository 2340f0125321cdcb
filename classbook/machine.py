"""``classbook setup-machine``: install the Debian packages and node tools the build needs."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path
from typing import Any

from classbook.cli import say

SETUP = Path(__file__).parent / "setup"


def setup_machine(args: argparse.Namespace) -> int:
    """Install what ``setup/debian-packages.txt`` lists and is missing (root or sudo), then
    the formula converters (pinned npm packages, under the virtualenv: node comes first)."""
    from classbook.formulas import ToolsError, ensure_tools

    done = subprocess.run(["bash", str(SETUP / "install-debian-packages.sh")], check=False)
    if done.returncode:
        return done.returncode
    try:
        ensure_tools()
    except ToolsError as error:
        say(str(error))
        return 1
    return 0


def add_commands(commands: Any) -> None:
    """Register ``setup-machine``."""
    parser = commands.add_parser(
        "setup-machine",
        help="install the Debian packages and the formula tools the build needs (root or sudo)",
    )
    parser.set_defaults(run=setup_machine)
