"""A deterministic zip: the same files give the same bytes, on any machine, at any time."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

#: Every entry's time: the earliest a zip can hold, so no clock or checkout date leaks in.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
#: Files that are compressed already: stored as they are, which also keeps their bytes
#: independent of the zlib build.
STORED = (".pdf", ".epub", ".png", ".jpg", ".jpeg", ".gif", ".zip", ".mp3", ".mp4", ".woff2")
#: The deflate level of everything else (XML, HTML): fixed, since it changes the bytes.
LEVEL = 9


def order(names: list[str], first: str) -> list[str]:
    """``first`` (the manifest, which importers look for at the start), then the rest sorted."""
    return ([first] if first in names else []) + sorted(name for name in names if name != first)


def zip_bytes(files: dict[str, bytes], first: str = "imsmanifest.xml") -> bytes:
    """The zip of ``files`` (path -> bytes) with fixed times, owners and attributes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in order(list(files), first):
            if not name.isascii() or name.startswith("/") or ".." in name.split("/"):
                raise ValueError(f"cartridge: {name!r} cannot be a path in the package")
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3  # Unix, whatever system builds it
            info.external_attr = 0o100644 << 16
            if name.lower().endswith(STORED):
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, files[name])
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, files[name], compresslevel=LEVEL)
    return buffer.getvalue()


def write_atomic(data: bytes, target: Path) -> Path:
    """Write ``data`` to ``target`` through a temporary file and a rename, so a reader
    never sees half a package."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, target)
    return target
