"""``python -m classbook dist``: the published outputs gathered into ``dist/``, with checksums."""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from classbook import outputs, reproducible
from classbook.cli import PublishError, guarded, say
from classbook.dates import ensure_source_date_epoch, source_date_epoch
from classbook.publish.workarea import build_lock, published, swap


def _epoch() -> int:
    return source_date_epoch() or 0


def _published_files(folder: Path) -> list[Path]:
    """Files of an output folder in a stable order, without Sphinx's bookkeeping."""
    return sorted(
        (
            path
            for path in folder.rglob("*")
            if path.is_file() and published(path.relative_to(folder))
        ),
        key=lambda path: path.relative_to(folder).as_posix(),
    )


def sha256sums(folder: Path) -> str:
    """``sha256sum -c`` compatible lines for every file under ``folder``, sorted."""
    lines = []
    for path in _published_files(folder):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}\n")
    return "".join(lines)


def _copy(files: Sequence[Path], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copyfile(path, target / path.name)
        os.utime(target / path.name, (_epoch(), _epoch()))


def dist(
    *, build_dir: Path = Path("_build"), dist_dir: Path = Path("dist"), pipeline: Path | None = None
) -> list[Path]:
    """Gather the published outputs into ``dist_dir`` (replaced as a whole); with
    ``pipeline`` (a checkout of classbook), its wheel and sdist too, in ``pipeline/``."""
    ensure_source_date_epoch(Path("."))
    with build_lock(build_dir):
        required = {
            "html": build_dir / "html" / "index.html",
            "epub": build_dir / "epub",
            "pdf": build_dir / "pdf",
            "handouts": build_dir / "handouts",
        }
        missing = [name for name, path in required.items() if not path.exists()]
        if missing:
            raise PublishError(
                f"no published {', '.join(missing)} in {build_dir}: run `make book` first"
            )
        epubs = sorted((build_dir / "epub").glob("*.epub"))
        # Both editions' book PDFs are published together in pdf/.
        pdfs = {path.name: path for path in sorted((build_dir / "pdf").glob("*.pdf"))}
        handouts = sorted((build_dir / "handouts").glob("*.pdf"))
        if not epubs or not pdfs or not handouts:
            raise PublishError(
                f"the EPUB, PDFs or handouts are missing in {build_dir}: run `make book`"
            )
        slug = epubs[0].stem
        staging = dist_dir.with_name(f".{dist_dir.name}.staging")
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        site = build_dir / "html"
        reproducible.write_tar_gz(
            [(f"{slug}-site/{p.relative_to(site).as_posix()}", p) for p in _published_files(site)],
            staging / f"{slug}-site.tar.gz",
            _epoch(),
        )
        _copy(epubs, staging)
        _copy(sorted(pdfs.values()), staging)
        _copy(handouts, staging / "handouts")
        packets = build_dir / "packets"
        if packets.is_dir():
            for path in _published_files(packets):
                relative = path.relative_to(packets)
                _copy([path], (staging / "packets" / relative).parent)
        for path in _cartridges(build_dir, slug):
            _copy(
                [path], (staging / "cartridge" / path.relative_to(build_dir / "cartridge")).parent
            )
        if pipeline is not None:
            distributions(pipeline, staging / "pipeline")
        (staging / "SHA256SUMS").write_text(sha256sums(staging), encoding="utf-8")
        swap(staging, dist_dir)
    return _published_files(dist_dir)


def _cartridges(build_dir: Path, slug: str) -> list[Path]:
    """The cartridges of the build the site was published with: none when the site offers
    none (built without the site's address; a cartridge folder left from another build
    is not this site's)."""
    offered = build_dir / "html" / "downloads" / outputs.cartridge(slug)
    if not offered.is_file():
        return []
    folder = build_dir / "cartridge"
    book = folder / outputs.cartridge(slug)
    if not book.is_file() or book.read_bytes() != offered.read_bytes():
        raise PublishError(
            f"the site offers a cartridge that {folder} does not hold: run `make book` again"
        )
    return _published_files(folder)


def distributions(checkout: Path, folder: Path) -> None:
    """The pipeline's wheel and sdist (``python -m build``, in an environment of its own with
    the pinned build backend), the same bytes for the same checkout and date: the wheel
    dates its entries from ``SOURCE_DATE_EPOCH``; the sdist is packed again to do so."""
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(folder), str(checkout)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or done.stdout.strip().splitlines()[-1:]
        raise PublishError(f"python -m build could not build the pipeline: {' '.join(last)}")
    for sdist in folder.glob("*.tar.gz"):
        with tempfile.TemporaryDirectory() as unpacked:
            with tarfile.open(sdist) as archive:
                archive.extractall(unpacked, filter="data")
            root = Path(unpacked)
            files = [(p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file()]
            reproducible.write_tar_gz(files, sdist, _epoch())


def _run_dist(args: argparse.Namespace) -> int:
    files = dist(build_dir=args.build_dir, dist_dir=args.dist_dir, pipeline=args.pipeline)
    say(f"wrote {len(files)} files to {args.dist_dir}/ (checksums in SHA256SUMS)")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``dist`` to the ``python -m classbook`` command line."""
    parser = commands.add_parser(
        "dist",
        help="gather the built outputs into dist/ with SHA256SUMS",
        description="Write dist/: the web site as a reproducible .tar.gz, the EPUB, the PDFs, "
        "the handouts, the packets and cartridges (if built) and SHA256SUMS.",
    )
    parser.add_argument("--build-dir", type=Path, default=Path("_build"), help="default: _build")
    parser.add_argument("--dist-dir", type=Path, default=Path("dist"), help="default: dist")
    parser.add_argument(
        "--pipeline", type=Path, help="a classbook checkout: add its wheel and sdist, pipeline/"
    )
    parser.set_defaults(run=guarded(_run_dist))
