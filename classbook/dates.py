"""The edition's date, named once: ``SOURCE_DATE_EPOCH``, set by the build, read by every page."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

#: The environment variable reproducible builds agree on (reproducible-builds.org).
VARIABLE = "SOURCE_DATE_EPOCH"


class DateError(ValueError):
    """``SOURCE_DATE_EPOCH`` is set to something that is not a date."""


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as an integer, or None when unset."""
    value = os.environ.get(VARIABLE, "").strip()
    return int(value) if value.isdigit() else None


def build_date() -> dt.datetime:
    """The edition's date: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else the
    start of today (UTC). The day, not the second: every print page carries the date, and
    a build an hour later must not lay out every PDF again for a new time (the render
    cache keys each PDF by its HTML); the printed date names only the day."""
    epoch = source_date_epoch()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def last_commit(project: Path) -> str | None:
    """The last commit's date (``git log -1 --format=%ct``), or None outside a repository."""
    try:
        done = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value.isdigit() else None


def ensure_source_date_epoch(project: Path) -> None:
    """Set ``SOURCE_DATE_EPOCH`` to the last commit's date unless the caller set it;
    outside a repository, to the start of today (:func:`build_date`), so that every step of
    one build has the same date and builds of one day the same PDFs."""
    if value := os.environ.get(VARIABLE, "").strip():
        if not value.isdigit():
            raise DateError(
                f"{VARIABLE}={value!r} is not a date: give seconds since 1970 "
                "(e.g. `git log -1 --format=%ct`), or unset it to use the last commit's date"
            )
        return
    os.environ[VARIABLE] = last_commit(project) or str(int(build_date().timestamp()))


def fingerprint() -> str:
    """What of the date a build's work area depends on (its pages all show it)."""
    return os.environ.get(VARIABLE, "")
