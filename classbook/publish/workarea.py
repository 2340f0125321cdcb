"""The work area: the build lock, atomic swaps of output folders, and what is published."""

from __future__ import annotations

import contextlib
import fcntl
import filecmp
import functools
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from pathlib import Path

from classbook import dates
from classbook.builders import parts
from classbook.cli import BuildLockedError
from classbook.outputs import OUTPUTS
from classbook.publish.steps import EDITIONS, PACKAGES, STEPS, Step

#: Files Sphinx keeps for its incremental builds: not part of what is published.
BOOKKEEPING = frozenset({".buildinfo", ".buildinfo.bak"})
#: Folders of a work area that are the build's own (a book PDF's parts), never published.
WORK_FOLDERS = frozenset({parts.FOLDER})


def published(relative: Path) -> bool:
    """Whether a work-area file (its path inside the output folder) is published."""
    return relative.name not in BOOKKEEPING and not WORK_FOLDERS.intersection(relative.parts[:-1])


# -- The lock ---------------------------------------------------------------------------


@contextlib.contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """Hold ``<build_dir>/.lock`` for the block; refuse at once if another build holds it."""
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / ".lock"
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise BuildLockedError(
                f"another build is running (pid {holder}; lock {path}): wait for it to "
                "finish, then run this build again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- Staging and publishing ---------------------------------------------------------------


def _old_dir(build_dir: Path, outname: str) -> Path:
    return build_dir / f".{outname}.old"


def recover(build_dir: Path, outname: str) -> None:
    """Finish or undo a swap that was cut short (power loss between the two renames)."""
    final, old = build_dir / outname, _old_dir(build_dir, outname)
    if old.exists():
        if final.exists():
            shutil.rmtree(old)
        else:
            old.rename(final)


def swap(staging: Path, final: Path) -> None:
    """Put ``staging`` in place of ``final``; the previous output is removed only after."""
    old = _old_dir(final.parent, final.name)
    if final.exists():
        final.rename(old)
    try:
        staging.rename(final)
    except BaseException:
        if old.exists() and not final.exists():
            old.rename(final)
        raise
    if old.exists():
        shutil.rmtree(old)


def sphinx_args(
    builder: str,
    outdir: Path,
    *,
    source_dir: Path,
    conf_dir: Path,
    doctrees: Path,
    extra: Sequence[str] = (),
) -> list[str]:
    """The one sphinx-build command shape every output uses (warnings are errors)."""
    return [
        *("-c", str(conf_dir), str(source_dir), str(outdir)),
        *("-d", str(doctrees), "-nW", "--keep-going", "-q", "-b", builder),
        *extra,
    ]


class WorkArea:
    """A book's work area, ``<build>/.work``: each edition's doctrees and output folders,
    the record of what was published from which inputs, and the publishing of an output's
    files into ``<build>/<output>``."""

    def __init__(
        self, build_dir: Path, source_dir: Path, conf_dir: Path, overrides: dict[str, str]
    ) -> None:
        self.build_dir = build_dir
        self.source_dir = source_dir
        self.conf_dir = conf_dir
        self.overrides = overrides
        self.work = build_dir / ".work"

    def folder(self, step: Step) -> Path:
        return self.work / step.edition / step.output

    def doctrees(self, edition: str) -> Path:
        return self.work / edition / "doctrees"

    @functools.cached_property
    def pipeline(self) -> str:
        """The digest of the pipeline's own code, templates, themes and fonts."""
        return _tree_digest(Path(__file__).parents[1], [])

    def fingerprint(self, edition: str) -> str:
        """What Sphinx does not see change but every page shows: the edition's date, the
        pipeline's own code and templates, the versions of the stack, the overrides."""
        parts = [
            edition,
            self.pipeline,
            dates.fingerprint(),
            repr(sorted(self.overrides.items())),
            *(f"{name}=={version(name)}" for name in PACKAGES),
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def inputs(self, address: str = "") -> str:
        """Everything a build reads: the book's folder, conf.py, the pipeline and the site's
        ``address`` (which may come from the environment: GitHub Pages, Read the Docs)."""
        parts = [self.fingerprint(edition) for edition in EDITIONS] + [address]
        conf = self.conf_dir / "conf.py"
        parts.append(hashlib.sha256(conf.read_bytes()).hexdigest() if conf.is_file() else "")
        return _tree_digest(self.source_dir, parts)

    def up_to_date(self, outputs: Sequence[str], inputs: str) -> bool:
        """True when the last successful build read the same inputs and every published
        file of ``outputs`` still has the bytes it published."""
        record = self._record()
        return all(
            record.get(name, {}).get("inputs") == inputs
            and record[name].get("files") == _digests(self.build_dir / name)
            for name in outputs
        )

    def remember(self, outputs: Sequence[str], inputs: str) -> None:
        record = self._record()
        for name in outputs:
            record[name] = {"inputs": inputs, "files": _digests(self.build_dir / name)}
        (self.work / "published.json").write_text(json.dumps(record, indent=1), "utf-8")

    def _record(self) -> dict[str, dict]:
        try:
            record = json.loads((self.work / "published.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def prepare(self, edition: str) -> None:
        """Start the edition's work area afresh when its fingerprint changed."""
        area = self.work / edition
        stamp = area / ".fingerprint"
        value = self.fingerprint(edition)
        if not stamp.is_file() or stamp.read_text(encoding="utf-8") != value:
            shutil.rmtree(area, ignore_errors=True)
            area.mkdir(parents=True)
            stamp.write_text(value, encoding="utf-8")

    def forget(self, edition: str) -> None:
        """After a failure: the next build reads every document of the edition again
        (Sphinx re-reads no document it saved, so a warning would not come back), and what
        this build parsed is gone (a refused document's doctree, say): the edition's
        doctrees are removed. The outputs' folders stay, for a look."""
        shutil.rmtree(self.doctrees(edition), ignore_errors=True)

    def files(self, output: str) -> dict[str, Path]:
        """What ``_build/<output>`` holds: relative path -> file in the work area."""
        files: dict[str, Path] = {}
        for step in STEPS:
            folder = self.folder(step)
            if step.output != output or not folder.is_dir():
                continue
            for path in sorted(folder.glob(step.pattern)):
                if path.is_file() and published(path.relative_to(folder)):
                    files[path.relative_to(folder).as_posix()] = path
        return files

    def publish(self, output: str) -> bool:
        """Swap ``_build/<output>`` for the work area's files if any differ; True if so.

        A file whose bytes did not change is carried over as a hard link to the published
        one: the swap is atomic for the folder, and that file is not rewritten.
        """
        files = self.files(output)
        final = self.build_dir / output
        recover(self.build_dir, output)
        if final.is_dir() and _same(files, final):
            return False  # nothing rewritten: the published files keep their bytes and times
        staging = self.build_dir / f".{output}.staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for relative, source in files.items():
            target, current = staging / relative, final / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if current.is_file() and filecmp.cmp(source, current, shallow=False):
                os.link(current, target)
            else:
                shutil.copy2(source, target)
        swap(staging, final)
        return True

    def keys_in_use(self, outputs: Sequence[str], used: set[str]) -> set[str]:
        """The render cache's keys this build ``used``, and those of the published outputs
        it did not build."""
        record = self.work / "cache-keys.txt"
        keys = set(used)
        if set(outputs) != set(OUTPUTS) and record.is_file():
            keys |= set(record.read_text(encoding="utf-8").split())
        record.write_text("".join(f"{key}\n" for key in sorted(keys)), encoding="utf-8")
        return keys


def _tree_digest(folder: Path, parts: Sequence[str]) -> str:
    """SHA-256 over ``parts`` and every file under ``folder`` (names and bytes)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _digests(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by relative path, with its SHA-256."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _same(files: dict[str, Path], final: Path) -> bool:
    published = {
        path.relative_to(final).as_posix()
        for path in final.rglob("*")
        if path.is_file() and path.name not in BOOKKEEPING
    }
    if published != set(files):
        return False
    return all(filecmp.cmp(source, final / rel, shallow=False) for rel, source in files.items())
