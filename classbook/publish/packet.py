"""``python -m classbook packet``: one assignment packet without an assignment file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from classbook.cli import PublishError, guarded
from classbook.ext.schemas import INCLUDE_CHOICES
from classbook.publish.steps import site_address
from classbook.publish.workarea import build_lock, sphinx_args
from classbook.sources import slugify


def write_adhoc(args: argparse.Namespace) -> Path:
    """Write the one-off assignment file the command line describes; return its path."""
    data: dict[str, Any] = {"title": args.title}
    if args.course:
        data["course"] = args.course
    if args.due:
        data["due"] = args.due
    if args.instructions:
        data["instructions"] = args.instructions
    data["chapters"] = [int(c) if c.isdigit() else c for c in args.chapters]
    if args.include is not None:
        data["include"] = [i for i in args.include if i != "none"]
    if args.paper:
        data["paper"] = args.paper
    folder = Path(args.build, "adhoc-assignments")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slugify(args.title, 'packet')}.yml"
    path.write_text(
        "# Written by `python -m classbook packet`; rebuilt on every run.\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return path


def packet_command(args: argparse.Namespace) -> int:
    """Build one packet from the command line, as ``make packets`` builds the files."""
    from sphinx.cmd.build import build_main

    build = Path(args.build)
    # Refused before anything is built: its web links need the site's real address.
    if args.cartridge and not site_address(Path(args.conf), {}):
        raise PublishError(
            "packet --cartridge: no real address of the published site is known, and the "
            "cartridge's web links point there: set html_baseurl in conf.py (a placeholder "
            "such as example.org is refused)"
        )
    path = write_adhoc(args)
    outdir = build / "adhoc-packets"
    builders = ["packets", *(["assignment-cartridges"] if args.cartridge else [])]
    status = 0
    # Not through a staging folder: earlier one-off packets stay beside this one.
    with build_lock(build):
        for builder in builders:
            # The cartridge builder reads the packets from the folder the packets went to.
            status = status or build_main(
                sphinx_args(
                    builder,
                    outdir,
                    source_dir=Path(args.source),
                    conf_dir=Path(args.conf),
                    doctrees=build / "doctrees",
                    extra=["-D", f"classbook_assignments={path.resolve()}"],
                )
            )
    if status == 0:
        made = [*outdir.glob(f"{path.stem}-*.pdf"), *outdir.glob(f"{path.stem}*.imscc")]
        for file in sorted(made):
            sys.stdout.write(f"{file}\n")
    return status


def add_commands(commands: argparse._SubParsersAction) -> None:
    """``python -m classbook packet``: register the subcommand."""
    parser = commands.add_parser(
        "packet",
        help="build one assignment packet without an assignment file",
        description="Write an assignment file into <build>/adhoc-assignments/ and build its "
        "packet into <build>/adhoc-packets/<slug>-<paper>.pdf (with --cartridge, its "
        "cartridges beside it).",
    )
    parser.add_argument(
        "--chapters",
        nargs="+",
        required=True,
        metavar="CHAPTER",
        help="chapter numbers or slugs, in reading order (e.g. 2 3 background)",
    )
    parser.add_argument("--title", required=True, help='the packet\'s title, e.g. "Week 1"')
    parser.add_argument("--due", help="due date, YYYY-MM-DD")
    parser.add_argument("--course", help="course or class name")
    parser.add_argument("--instructions", help="instructions (Markdown)")
    parser.add_argument(
        "--include",
        nargs="*",
        choices=[*INCLUDE_CHOICES, "none"],
        help="what the response sheet has (default: questions answer-space)",
    )
    parser.add_argument(
        "--paper",
        choices=["a4", "letter", "both"],
        help="paper size (default: classbook_default_paper in conf.py)",
    )
    parser.add_argument(
        "--cartridge",
        action="store_true",
        help="also its Common Cartridges (<slug>.imscc, <slug>-cc11.imscc) beside the packet; "
        "needs the site's real address (html_baseurl)",
    )
    parser.add_argument("--source", default="book", help="the book's folder (default: book)")
    parser.add_argument("--conf", default=".", help="folder of conf.py (default: .)")
    parser.add_argument("--build", default="_build", help="build folder (default: _build)")
    parser.set_defaults(run=guarded(packet_command))  # fmt: skip
