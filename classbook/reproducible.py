"""Byte-identical archives: the same files and ``SOURCE_DATE_EPOCH`` give the same bytes.

Zip and tar entries carry file times, owners and permissions that differ between two
checkouts of the same commit; these helpers write them from ``SOURCE_DATE_EPOCH`` instead.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

#: The earliest time a zip entry can hold (1980-01-01).
ZIP_EPOCH = 315532800


def normalise_zip(path: Path, epoch: int) -> None:
    """Rewrite the zip ``path`` in place with every entry dated ``epoch`` (UTC) and the
    same permissions; the order, names, data and compression of the entries are kept."""
    stamp = time.gmtime(max(epoch, ZIP_EPOCH))[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = entry.compress_type
            info.external_attr = (0o755 if entry.is_dir() else 0o644) << 16
            info.create_system = 3  # Unix, whatever the building system
            target.writestr(info, source.read(entry))
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, path)


def write_tar_gz(files: Iterable[tuple[str, Path]], target: Path, epoch: int) -> None:
    """A ``.tar.gz`` of ``(name in archive, file)`` pairs that is the same bytes for the
    same files: sorted entries, one mtime, no owners, fixed permissions, no gzip time."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        directories: set[str] = set()
        for name, path in sorted(files, key=lambda item: item[0].split("/")):
            parts = name.split("/")
            for depth in range(1, len(parts)):
                directory = "/".join(parts[:depth])
                if directory not in directories:
                    directories.add(directory)
                    info = tarfile.TarInfo(directory)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, epoch
                    archive.addfile(info)
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = path.stat().st_size, 0o644, epoch
            with open(path, "rb") as handle:
                archive.addfile(info, handle)
    with (
        open(target, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch) as packed,
    ):
        packed.write(buffer.getvalue())
