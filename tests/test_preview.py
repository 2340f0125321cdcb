"""The live preview (``python -m classbook preview``): an edit reloads the page in Chromium,
a broken edit shows its file and line over the last good page, Ctrl-C leaves nothing behind."""

from __future__ import annotations

import fcntl
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from conftest import ROOTS
from helpers import ROOT
from playwright.sync_api import expect, sync_playwright
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from classbook.publish.preview import problems_in
from classbook.publish.previewsite import OVERLAY, SOCKET, Problem, Server, Status, inject

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
#: The chapter opened, and a sentence of it the test changes (an editor's note: the
#: source's own text must stay as the source has it).
CHAPTER = Path("chapters/01-first.md")
BEFORE, AFTER = "The report is dated a day later", "The report was checked twice"
#: How long a step may take on this shared machine: the first build writes every output.
STEP_S = 120


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def _keep(stream: IO[str], said: list[str]) -> None:
    for line in stream:
        said.append(line)


@contextmanager
def preview(book: Path, build: Path) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """The preview of ``book`` in a process group of its own; its address and what it
    said on stderr so far (a list the caller reads as it grows)."""
    folders = ["--source-dir", str(book), "--conf-dir", str(book), "--build-dir", str(build)]
    process = subprocess.Popen(
        [sys.executable, "-m", "classbook", "preview", "--port", "0", *folders],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,
    )
    assert process.stdout is not None and process.stderr is not None
    out: queue.Queue[str] = queue.Queue()
    said: list[str] = []
    readers = [
        threading.Thread(target=_lines, args=(process.stdout, out), daemon=True),
        threading.Thread(target=_keep, args=(process.stderr, said), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        line = out.get(timeout=STEP_S)
        assert "preview at http://127.0.0.1:" in line, line
        yield process, line.split(" at ", 1)[1].split()[0], said
    finally:
        if process.poll() is None:  # the test failed before it stopped the preview
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for reader in readers:
            reader.join(timeout=STEP_S)
        process.stdout.close()
        process.stderr.close()


def _descendants(pid: int) -> dict[int, str]:
    """Every process below ``pid`` with its start time (to tell a reused pid apart)."""
    children: dict[int, list[int]] = {}
    started: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        started[int(stat.parent.name)] = fields[19]
    found, todo = {}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found[child] = started[child]
            todo.append(child)
    return found


def _running(pid: int, started: str) -> bool:
    """Whether ``pid`` is still that process and not a zombie waiting for its reaper."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z" and fields[19] == started


def _wait_for(condition, what: str, timeout: float = STEP_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.browser
@pytest.mark.build
def test_preview_reloads_shows_errors_and_stops(tmp_path: Path) -> None:
    book, build = tmp_path / "mini", tmp_path / "build"
    shutil.copytree(ROOTS / "test-mini", book)
    chapter = book / CHAPTER
    original = chapter.read_text(encoding="utf-8")
    assert BEFORE in original
    with (
        preview(book, build) as (process, url, said),
        sync_playwright() as playwright,
    ):
        _wait_for(lambda: any("site rebuilt" in line for line in said), "the first build")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(url + CHAPTER.with_suffix(".html").as_posix())
        main = page.get_by_role("main")
        expect(main).to_contain_text(BEFORE)

        # A sentence changed in the chapter's file shows in the open page.
        edited = original.replace(BEFORE, AFTER)
        chapter.write_text(edited, encoding="utf-8")
        expect(main).to_contain_text(AFTER, timeout=STEP_S * 1000)

        # A broken edit: the overlay names the file and line; the last good page stays.
        broken = edited + "\n:::{nosuchthing}\nA directive nobody defined.\n:::\n"
        line = broken.splitlines().index(":::{nosuchthing}") + 1
        chapter.write_text(broken, encoding="utf-8")
        overlay = page.locator(f"#{OVERLAY}")
        expect(overlay).to_contain_text(f"{CHAPTER.as_posix()}:{line}", timeout=STEP_S * 1000)
        expect(overlay).to_contain_text("nosuchthing")
        expect(main).to_contain_text(AFTER)
        assert "nobody defined" not in main.inner_text()

        # The fix clears it.
        chapter.write_text(edited, encoding="utf-8")
        expect(overlay).to_have_count(0, timeout=STEP_S * 1000)
        expect(main).to_contain_text(AFTER)
        browser.close()

        # The script is in what was served, never in the built files.
        assert "classbook preview" not in (build / "html" / CHAPTER.with_suffix(".html")).read_text(
            encoding="utf-8"
        )

        # Ctrl-C: exit status 0, no process left behind, no lock held.
        below = _descendants(process.pid)
        process.send_signal(signal.SIGINT)
        try:
            status = process.wait(timeout=STEP_S)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGUSR1)  # its threads' stacks, into what it says
            time.sleep(2)  # not a race: only a failing test's report waits for the dump
            pytest.fail(f"the preview did not stop on Ctrl-C; it said:\n{''.join(said)}")
        assert status == 0, "".join(said)
        _wait_for(
            lambda: not [pid for pid, started in below.items() if _running(pid, started)],
            "the preview's processes to end",
            timeout=10,
        )
    with open(build / ".lock", "a+", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held
        lock.seek(0)
        assert lock.read() == ""
    assert any("preview stopped" in line for line in said)


def test_problems_name_file_and_line(tmp_path: Path) -> None:
    output = (
        f"{tmp_path}/book/chapters/01.md:33: WARNING: Unknown directive type: 'x' [myst]\n"
        "  more lines of the same message\n"
        "\x1b[91mclassbook: Warning, treated as error: "
        f"{tmp_path}/book/conf.py: WARNING: a setting is wrong\x1b[39;49;00m\n"
        "WARNING: WeasyPrint (handouts/01-a4.pdf): an image is missing\n"
        "classbook: the html build failed, so _build/html was left as it was\n"
    )
    assert problems_in(output, tmp_path) == [
        Problem("Unknown directive type: 'x' [myst]", "book/chapters/01.md", 33),
        Problem("a setting is wrong", "book/conf.py"),
        Problem("WeasyPrint (handouts/01-a4.pdf): an image is missing"),
    ]
    assert problems_in("classbook: another build is running\n", tmp_path) == [
        Problem("another build is running")
    ]


def test_script_goes_before_the_end_of_the_body() -> None:
    page = inject("<html><body><p>x</p></BODY></html>", 7)
    assert page.startswith("<html><body><p>x</p><script>")
    assert page.endswith("</script></BODY></html>")
    assert "const loaded = 7;" in page
    assert inject("<p>fragment</p>", 1).startswith("<p>fragment</p><script>")


def test_server_injects_tells_the_pages_and_stops_with_a_page_open(tmp_path: Path) -> None:
    site, status = tmp_path / "html", Status()
    with Server(site, status, 0) as server:
        assert server.url.startswith("http://127.0.0.1:")
        # No site yet: a page that waits for it, with the script.
        with pytest.raises(HTTPError) as waiting:
            urlopen(server.url, timeout=30)
        assert waiting.value.code == 503
        assert "classbook preview" in waiting.value.read().decode()
        site.mkdir()
        (site / "index.html").write_text("<html><body><p>Hello</p></body></html>", "utf-8")
        with urlopen(server.url, timeout=30) as response:
            page = response.read().decode()
            assert response.headers["cache-control"] == "no-store"
        assert "<p>Hello</p><script>" in page
        assert (site / "index.html").read_text("utf-8") == "<html><body><p>Hello</p></body></html>"

        with connect(f"ws://127.0.0.1:{server.port}{SOCKET}") as socket:
            assert json.loads(socket.recv(timeout=30)) == {"generation": 0, "problems": []}
            status.failed([Problem("Unknown directive", "chapters/01.md", 3)])
            assert json.loads(socket.recv(timeout=30)) == {
                "generation": 0,
                "problems": [{"message": "Unknown directive", "file": "chapters/01.md", "line": 3}],
            }
            status.published()
            assert json.loads(socket.recv(timeout=30)) == {"generation": 1, "problems": []}
            server.stop()  # with the page still open: its socket is closed, the thread ends
            with pytest.raises(ConnectionClosed):
                socket.recv(timeout=30)
        assert not server.thread.is_alive()
