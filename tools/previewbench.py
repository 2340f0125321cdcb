"""The live preview's edit-to-reload time: a sentence saved into a chapter until Chromium shows it.

``make bench`` runs it on the real book after its builds; ``tools/previewbench.py`` alone
runs it on a fresh copy of the real book (the preview's first build included) and prints
the seconds of each edit.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
#: The longest any one step may take (the first build of a fresh copy writes every output).
STEP_S = 600


def _follow(stream, lines: queue.Queue[str], echo: bool) -> None:
    for line in stream:
        lines.put(line)
        if echo:
            sys.stderr.write(f"{time.strftime('%H:%M:%S')} {line}")


def _wait_for(lines: queue.Queue[str], text: str) -> str:
    """The next line of the preview's output that contains ``text``."""
    deadline = time.monotonic() + STEP_S
    while True:
        line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        if text in line:
            return line
        if "failed" in line:
            raise RuntimeError(f"the preview's build failed: {line}")


def bench_preview(project: Path, edits: int = 3, *, echo: bool = False) -> list[float]:
    """Seconds from saving a sentence at the end of the first chapter to the open page
    showing it, for each of ``edits`` edits, under ``python -m classbook preview`` of
    ``project`` (its ``book/`` and ``conf.py``); each edit made when the downloads of the
    one before are rebuilt (an edit during their build would stop it first)."""
    from playwright.sync_api import sync_playwright

    chapter = sorted((project / "book" / "chapters").glob("*.md"))[0]
    page_path = chapter.relative_to(project / "book").with_suffix(".html").as_posix()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1700000000"}
    process = subprocess.Popen(
        [sys.executable, "-m", "classbook", "preview", "--port", "0"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    for stream in (process.stdout, process.stderr):
        threading.Thread(target=_follow, args=(stream, lines, echo), daemon=True).start()
    seconds = []
    try:
        url = _wait_for(lines, "preview at ").split(" at ", 1)[1].split()[0]
        _wait_for(lines, "site rebuilt")
        _wait_for(lines, "the downloads are")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            page.goto(url + page_path)
            text = chapter.read_text(encoding="utf-8")
            for number in range(1, edits + 1):
                # Never on the page before: a project previewed before keeps its edits.
                sentence = f"A sentence of ours, number {number}, {time.time_ns()}."
                text += f"\n{sentence}\n"
                started = time.perf_counter()
                chapter.write_text(text, encoding="utf-8")
                page.wait_for_function(
                    "s => document.body !== null && document.body.innerText.includes(s)",
                    arg=sentence,
                    polling="raf",
                    timeout=STEP_S * 1000,
                )
                seconds.append(time.perf_counter() - started)
                _wait_for(lines, "the downloads are")
            browser.close()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edits", type=int, default=3, help="edits timed (default 3)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the preview's output")
    parser.add_argument(
        "--project",
        type=Path,
        help="a copy of the book's project to preview (its book/ and conf.py; its _build/ "
        "reused); default: a fresh copy of the real book",
    )
    args = parser.parse_args(argv)
    if args.project is not None:
        seconds = bench_preview(args.project, args.edits, echo=args.verbose)
    else:
        with tempfile.TemporaryDirectory(prefix="classbook-previewbench-") as tmp:
            project = Path(tmp)
            shutil.copytree(ROOT / "book", project / "book")
            shutil.copy(ROOT / "conf.py", project / "conf.py")
            seconds = bench_preview(project, args.edits, echo=args.verbose)
    listed = ", ".join(f"{s:.2f}" for s in seconds)
    print(  # noqa: T201
        f"real book: edit to reload {statistics.median(seconds):.2f} s median ({listed} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
