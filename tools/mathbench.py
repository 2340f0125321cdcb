"""What a chapter of 500 formulas costs a build: ``python tools/mathbench.py`` (make bench).

The math fixture book (``tests/roots/test-math``) is built cold, with and without an added
chapter of 500 textbook formulas (``classbook.formulas.bench.textbook``: about one in ten a
display formula), and with the same chapter whose formulas are words ("it", "the answer"):
what the chapter's sentences cost apart from its formulas. Alternating, each run with empty
render and formula caches; then no-op
rebuilds of the book with and without the chapter, and a cold build whose formulas are all in
the formula cache (what an edit elsewhere in a book of formulas costs). Medians, with the
load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from classbook.cli import say
from classbook.formulas.bench import textbook

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "tests" / "roots" / "test-math"


def formula_chapter(count: int, *, prose: bool = False) -> str:
    """A chapter of ours (no source section) holding ``count`` formulas in sentences, or
    (``prose``) the same sentences with a word where each formula was."""
    lines = ["(formulas)=", "# Exercises with formulas", ""]
    for number, formula in enumerate(textbook(count), start=1):
        if formula.display:
            shown = ["the answer"] if prose else ["$$", formula.tex, "$$"]
            lines += [f"Exercise {number} asks for", "", *shown, ""]
        else:
            shown_inline = "it" if prose else f"${formula.tex}$"
            lines += [f"Exercise {number} asks for {shown_inline} in a sentence.", ""]
    return "\n".join(lines)


def project(folder: Path, count: int, *, prose: bool = False) -> Path:
    """The fixture book, with the chapter of ``count`` formulas (or of its sentences alone)
    when ``count`` > 0."""
    shutil.copytree(BOOK, folder)
    if count:
        chapter = formula_chapter(count, prose=prose)
        (folder / "chapters" / "90-formulas.md").write_text(chapter, "utf-8")
        index = folder / "index.md"
        text = index.read_text(encoding="utf-8")
        index.write_text(
            text.replace("chapters/02-motion\n", "chapters/02-motion\nchapters/90-formulas\n"),
            "utf-8",
        )
    return folder


def build(folder: Path) -> float:
    """Seconds of one ``python -m classbook build all`` (warnings are errors), into a build
    folder beside the book (the fixture's sources are its top folder)."""
    output = folder.parent / f"{folder.name}-build"
    command = [sys.executable, "-m", "classbook", "build", "-q", "--build-dir", str(output)]
    command += ["--source-dir", ".", "--conf-dir", ".", "all"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{folder}: the build failed:\n{done.stderr[-3000:]}")
    return seconds


def cold(base: Path, name: str, count: int, *, prose: bool = False) -> float:
    folder = base / name
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(base / f"{name}-build", ignore_errors=True)
    return build(project(folder, count, prose=prose))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=ROOT / "_build" / "bench" / "math.json")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="classbook-mathbench-") as temp:
        base = Path(temp)
        without, prose, with_ = [], [], []
        for _ in range(args.runs):  # alternating: a slow minute hits all three alike
            without.append(cold(base, "without", 0))
            prose.append(cold(base, "prose", args.count, prose=True))
            with_.append(cold(base, "with", args.count))
        # A no-op rebuild with and without the chapter, alternating: what the formulas add.
        noops: dict[str, list[float]] = {"without": [], "with": []}
        for _ in range(args.runs):
            for name, seconds in noops.items():
                seconds.append(build(base / name))
        # Formulas cached, PDFs not: the cost of laying the formulas out.
        shutil.rmtree(base / "with-build" / ".cache" / "render")
        shutil.rmtree(base / "with-build" / ".work", ignore_errors=True)
        laid_out = build(base / "with")
    record = {
        "formulas": args.count,
        "runs": args.runs,
        "load_average": round(load, 2),
        "cold_without_s": round(statistics.median(without), 1),
        "cold_prose_s": round(statistics.median(prose), 1),
        "cold_with_s": round(statistics.median(with_), 1),
        "added_s": round(statistics.median(with_) - statistics.median(without), 1),
        # What the formulas cost beyond the chapter's own sentences.
        "formulas_added_s": round(statistics.median(with_) - statistics.median(prose), 1),
        "noop_without_s": round(statistics.median(noops["without"]), 2),
        "noop_with_s": round(statistics.median(noops["with"]), 2),
        "cold_with_formulas_cached_s": round(laid_out, 1),
        "all_s": {
            "without": [round(s, 1) for s in without],
            "prose": [round(s, 1) for s in prose],
            "with": [round(s, 1) for s in with_],
        },
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    say(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
