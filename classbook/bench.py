"""Benchmark: time and peak memory of each output of the book, printed as a table."""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Builders in the order `make book` runs them, with their output folders.
STAGES = (("epub", "epub"), ("bookpdf", "pdf"), ("handouts", "handouts"), ("html", "html"))


def run(root: Path, out: Path, builder: str, folder: str) -> tuple[float, int]:
    """Build one output; return wall seconds and the peak RSS (KiB) of any child so far."""
    command = [sys.executable, "-m", "sphinx", "-b", builder, "-c", str(root), str(root / "book")]
    command += [str(out / folder), "-d", str(out / "doctrees"), "-nW", "--keep-going", "-q"]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def main(argv: list[str] | None = None) -> int:
    """Build every output into a temporary folder, cold then warm, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the project folder")
    args = parser.parse_args(argv)
    print(f"{'output':<10} {'cold s':>8} {'warm s':>8} {'peak MiB':>9}")  # noqa: T201
    with tempfile.TemporaryDirectory() as tmp:
        cold = {b: run(args.root, Path(tmp), b, f) for b, f in STAGES}
        warm = {b: run(args.root, Path(tmp), b, f) for b, f in STAGES}
    for builder, _ in STAGES:
        seconds, peak = cold[builder]
        print(f"{builder:<10} {seconds:>8.1f} {warm[builder][0]:>8.1f} {peak / 1024:>9.0f}")  # noqa: T201
    total = sum(s for s, _ in cold.values())
    print(f"{'total':<10} {total:>8.1f} {sum(s for s, _ in warm.values()):>8.1f}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
