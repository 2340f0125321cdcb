"""``python -m classbook <command>``: the book's command line, one subcommand per module."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from classbook import machine
from classbook.publish import dist, orchestrator, packet, preview, verify
from classbook.sources import scaffold


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand; return its exit status."""
    parser = argparse.ArgumentParser(prog="python -m classbook", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    orchestrator.add_commands(commands)  # build
    preview.add_commands(commands)  # preview
    dist.add_commands(commands)  # dist
    packet.add_commands(commands)  # packet
    scaffold.add_commands(commands)  # new-book
    verify.add_commands(commands)  # verify
    machine.add_commands(commands)  # setup-machine
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    status = main()
    # The process ends here: what a build leaves for the garbage collector (its Sphinx
    # applications and their doctrees, in cycles) would take about half a second to free.
    gc.freeze()
    sys.exit(status)
