"""The formula cache: one small JSON file per formula and step, named by a content key."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: Bump when an entry's format changes.
FORMAT = "classbook-formula-cache-1"
#: The three steps, each with entries of its own: a new speech engine re-speaks every
#: formula and redraws none.
STEPS = ("mathml", "speech", "svg")


class FormulaCache:
    """Entries under ``folder/<step>/<key[:2]>/<key>.json``, each ``{"ok": ...}`` or
    ``{"error": "message"}``: a failure is kept too (the build reports it again, from the
    cache, without converting it again). No timestamp decides anything."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        #: Folders made (or found) by this object: a cold batch writes 1,500 entries into
        #: 3 x 256 folders, and each mkdir is a system call on a shared disk.
        self._folders: set[Path] = set()

    @staticmethod
    def key(*parts: str) -> str:
        """SHA-256 of ``parts`` (the step's tool versions, the formula's text and flags)."""
        sha = hashlib.sha256(FORMAT.encode())
        for part in parts:
            sha.update(b"\0" + part.encode("utf-8"))
        return sha.hexdigest()

    def path(self, step: str, key: str) -> Path:
        return self.folder / step / key[:2] / f"{key}.json"

    def get(self, step: str, key: str) -> dict[str, Any] | None:
        """The entry, or None when it is missing or unreadable (then it is made again)."""
        try:
            entry = json.loads(self.path(step, key).read_bytes())
        except (OSError, ValueError):
            return None
        if isinstance(entry, dict) and ("ok" in entry or "error" in entry):
            return entry
        return None

    def put(self, step: str, key: str, entry: dict[str, Any]) -> None:
        """Write the entry atomically: a reader sees the old file or the whole new one, and
        two builds writing the same entry write the same bytes."""
        path = self.path(step, key)
        if path.parent not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(path.parent)
        data = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8")
        handle, partial = tempfile.mkstemp(prefix=f".{key[:16]}.", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
