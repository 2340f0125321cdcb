"""The live preview's web server: the published site on 127.0.0.1, a reload socket, an overlay."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope
from starlette.websockets import WebSocket, WebSocketDisconnect

#: The path of the reload websocket: outside any folder a Sphinx site has.
SOCKET = "/__classbook_preview__/socket"
#: The element the overlay of a failed build is (tests find it by this id).
OVERLAY = "classbook-preview-overlay"
#: The script put into every HTML page served (never into the built files): it reloads the
#: page when a newer site is published and shows a failed build's messages over the page.
CLIENT = """<script>/* classbook preview */(() => {
  const loaded = %(generation)d;
  function show(problems) {
    let box = document.getElementById("%(overlay)s");
    if (!problems.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "%(overlay)s";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:1rem;right:1rem;bottom:1rem;z-index:99999;" +
        "max-height:50vh;overflow:auto;padding:1rem;border:3px solid #b00020;" +
        "background:#fff;color:#000;font:14px/1.4 monospace;white-space:pre-wrap;" +
        "box-shadow:0 4px 16px rgba(0,0,0,.4)";
      document.body.append(box);
    }
    const heading = document.createElement("strong");
    heading.textContent = "The build failed; this is the last good page.";
    const list = document.createElement("ul");
    for (const p of problems) {
      const item = document.createElement("li");
      item.textContent = (p.file ? p.file + (p.line ? ":" + p.line : "") + ": " : "") + p.message;
      list.append(item);
    }
    box.replaceChildren(heading, list);
  }
  function connect() {
    const socket = new WebSocket(`ws://${location.host}%(socket)s`);
    socket.onmessage = (event) => {
      const state = JSON.parse(event.data);
      if (state.generation !== loaded) location.reload();
      else show(state.problems);
    };
    // The preview restarted or stopped: try again (a page open across a restart reloads).
    socket.onclose = () => setTimeout(connect, 1000);
  }
  connect();
})();</script>"""


#: What is served before the first site is published.
WAITING = (
    "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Building…</title></head>"
    "<body><main><p>The site is being built; this page shows it when it is.</p></main></body>"
    "</html>"
)


@dataclass(frozen=True)
class Problem:
    """One message of a failed build: the file and line it names (when it names them)."""

    message: str
    file: str = ""
    line: int = 0

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: " if self.file else ""
        return f"{where}{self.message}"


@dataclass
class Status:
    """What the open pages are told: the site's generation (a page of an older one reloads)
    and the problems of the last build (shown over the page). Updated from the builds'
    thread, sent from the server's event loop."""

    generation: int = 0
    problems: list[Problem] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listeners: dict[asyncio.Queue[str | None], asyncio.AbstractEventLoop] = field(
        default_factory=dict
    )

    def message(self) -> str:
        problems = [dataclasses.asdict(p) for p in self.problems]
        return json.dumps({"generation": self.generation, "problems": problems})

    def published(self) -> None:
        """A newer site is published and nothing is wrong: every open page reloads."""
        with self._lock:
            self.generation += 1
            self.problems = []
        self._send()

    def failed(self, problems: list[Problem]) -> None:
        """The last build failed: its problems go over the open pages, which stay."""
        with self._lock:
            self.problems = problems
        self._send()

    def listen(self, queue: asyncio.Queue[str | None]) -> str:
        """Add a page's queue; return the current state for it."""
        with self._lock:
            self._listeners[queue] = asyncio.get_running_loop()
            return self.message()

    def leave(self, queue: asyncio.Queue[str | None]) -> None:
        with self._lock:
            self._listeners.pop(queue, None)

    def close(self) -> None:
        """Tell every page's handler to end (the server is stopping)."""
        with self._lock:
            for queue, loop in self._listeners.items():
                loop.call_soon_threadsafe(queue.put_nowait, None)

    def _send(self) -> None:
        with self._lock:
            text = self.message()
            for queue, loop in self._listeners.items():
                loop.call_soon_threadsafe(queue.put_nowait, text)


class PreviewFiles(StaticFiles):
    """The published site's files, never cached by the browser; an HTML page is read and
    served with the preview's script (the file itself is left as the build wrote it)."""

    def __init__(self, directory: Path, status: Status) -> None:
        super().__init__(directory=directory, html=True, check_dir=False)
        self.site = directory
        self.status = status

    async def check_config(self) -> None:
        if self.site.is_dir():  # else no site yet: get_response serves the waiting page
            await super().check_config()

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as error:
            if error.status_code != 404 or (self.site / "index.html").is_file():
                raise
        # No site yet (a fresh checkout, or its first build failed): a page that shows the
        # build's messages and turns into the site when it is published.
        return Response(
            inject(WAITING, self.status.generation),
            status_code=503,
            media_type="text/html",
            headers={"cache-control": "no-store"},
        )

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        if not str(full_path).endswith(".html"):
            response = super().file_response(full_path, stat_result, scope, status_code)
            response.headers["cache-control"] = "no-cache"  # revalidated: a rebuild shows
            return response
        page = Path(full_path).read_text(encoding="utf-8", errors="replace")
        return Response(
            inject(page, self.status.generation),
            status_code=status_code,
            media_type="text/html",
            headers={"cache-control": "no-store"},
        )


def inject(page: str, generation: int) -> str:
    """``page`` with the preview's script before its ``</body>`` (at its end if none)."""
    script = CLIENT % {"generation": generation, "overlay": OVERLAY, "socket": SOCKET}
    at = page.lower().rfind("</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


def application(site: Path, status: Status) -> Starlette:
    """The preview's web application: the reload websocket, then the site's files."""

    async def socket_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        queue: asyncio.Queue[str | None] = asyncio.Queue()

        async def hear_leave() -> None:
            # The page sends nothing: reading only hears it leave, which ends the loop.
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
            queue.put_nowait(None)

        listener = asyncio.create_task(hear_leave())
        try:
            await websocket.send_text(status.listen(queue))
            while (text := await queue.get()) is not None:
                await websocket.send_text(text)
            with contextlib.suppress(RuntimeError):  # closed already, by the page
                await websocket.close()
        except (WebSocketDisconnect, RuntimeError):
            pass  # the page went away while it was being told
        finally:
            status.leave(queue)
            listener.cancel()

    return Starlette(
        routes=[WebSocketRoute(SOCKET, socket_endpoint), Mount("/", PreviewFiles(site, status))]
    )


class Server:
    """The application served by uvicorn on 127.0.0.1 in a thread of its own (the builds
    keep the main thread, where Ctrl-C is heard)."""

    def __init__(self, site: Path, status: Status, port: int) -> None:
        self.status = status
        # Bound here, before the first build, so that a port in use fails at once and
        # port 0 becomes a free port the preview can print.
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", port))
        self.socket.listen()  # a page opened at once waits for the server, is not refused
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(
            application(site, status),
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name="preview server"
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Close every page's socket and stop serving; wait for the server's thread."""
        self.server.should_exit = True
        self.status.close()
        if self.thread.is_alive():
            self.thread.join()
        self.socket.close()

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
