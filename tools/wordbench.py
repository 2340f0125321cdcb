"""A 20-page Word document to a book: ``python tools/wordbench.py`` (make bench).

The Word file is made from a real document of the corpus (``odfdo-collection.odt``: the
Wikipedia article on The Hitchhiker's Guide to the Galaxy, about 8,900 words and 49
footnotes, CC BY-SA) by pandoc, with a table and an image (with its description, Word's alt
text) after every fourth section. Timed: ``new-book`` and a cold build of every output
(``python -m classbook build all``: both editions, EPUB, PDFs, handouts, site), with the
virtualenv present, empty caches each run; the median of three runs, with the load average.
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

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "realworld" / "docs" / "odfdo-collection.odt"


def _image(path: Path, number: int) -> None:
    """A plain bar chart as a PNG: what a teacher's document carries as a picture."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (600, 300), "white")
    draw = ImageDraw.Draw(picture)
    for bar in range(6):
        height = 40 + (bar * 37 + number * 23) % 220
        draw.rectangle((40 + bar * 90, 280 - height, 100 + bar * 90, 280), fill=(90, 110, 140))
    draw.line((30, 280, 580, 280), fill="black", width=2)
    picture.save(path, format="PNG", optimize=False)


def word_document(folder: Path) -> Path:
    """The benchmark's .docx, made in ``folder``."""
    import pypandoc

    # Without the ODT's sections as fenced divs: Word has no such blocks.
    markdown = pypandoc.convert_file(
        str(SOURCE), "markdown-fenced_divs-native_divs-bracketed_spans", format="odt"
    )
    lines = markdown.splitlines()
    # The article's title as the document's title, its sections as chapters (Heading 1).
    title = lines[0].lstrip("# ").replace("\\'", "'")
    out: list[str] = ["---", f"title: {json.dumps(title)}", "---", ""]
    sections = 0
    for given in lines[1:]:
        line = given[1:] if given.startswith("##") else given
        if given.startswith("##"):
            sections += 1
            if sections % 4 == 0:
                number = sections // 4
                _image(folder / f"chart-{number}.png", number)
                out += [
                    "",
                    "| Year | Radio | Books | Stage |",
                    "|-----:|------:|------:|------:|",
                    *(
                        f"| {1977 + row + number} | {row * 3 + number} | {row + 2} | {row % 3} |"
                        for row in range(4)
                    ),
                    "",
                    f"Table {number}: adaptations by year.",
                    "",
                    f"![A bar chart of six bars of different heights, number {number}]"
                    f"(chart-{number}.png)",
                    "",
                ]
        out.append(line)
    (folder / "bench.md").write_text("\n".join(out) + "\n", encoding="utf-8")
    docx = folder / "hitchhiker.docx"
    pypandoc.convert_file(
        str(folder / "bench.md"),
        "docx",
        format="markdown",
        outputfile=str(docx),
        extra_args=[f"--resource-path={folder}"],
    )
    return docx


def run(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return seconds


def once(docx: Path, work: Path) -> tuple[float, float]:
    """new-book's and the cold build's seconds."""
    project = work / "book"
    shutil.rmtree(project, ignore_errors=True)
    new = run([sys.executable, "-m", "classbook", "new-book", str(docx), str(project)], work)
    build = run([sys.executable, "-m", "classbook", "build", "-q", "all"], project)
    return new, build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=ROOT / "_build" / "bench" / "word.json")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="classbook-wordbench-") as temp:
        work = Path(temp)
        docx = word_document(work)
        runs = [once(docx, work) for _ in range(args.runs)]
        pdf = next((work / "book" / "_build" / "pdf").glob("*-a4.pdf"))
        from pypdf import PdfReader

        pages = len(PdfReader(pdf).pages)
        notes = (work / "bench.md").read_text(encoding="utf-8").count("[^")
    totals = [new + build for new, build in runs]
    record = {
        "document": f"{SOURCE.name} as .docx, with tables and images",
        "book_pdf_pages_a4": pages,
        "footnote_marks": notes,
        "load_average": round(load, 2),
        "new_book_s": round(statistics.median(new for new, _ in runs), 1),
        "build_s": round(statistics.median(build for _, build in runs), 1),
        "total_s": round(statistics.median(totals), 1),
        "all_total_s": [round(t, 1) for t in totals],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    say(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
