"""Which documents changed: by the bytes of their files and dependencies, not their times."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

#: The environment's record: document -> digest of its file and its dependencies when read.
STORE = "classbook_digests"


def _digest(path: Path, memo: dict[Path, bytes]) -> bytes:
    if path not in memo:
        try:
            memo[path] = hashlib.sha256(path.read_bytes()).digest()
        except OSError:
            memo[path] = b"missing"
    return memo[path]


def state(env: BuildEnvironment, docname: str, memo: dict[Path, bytes]) -> str:
    """The digest of ``docname``'s file and of every file it depends on, now."""
    digest = hashlib.sha256(_digest(Path(env.doc2path(docname)), memo))
    for dependency in sorted(map(Path, env.dependencies.get(docname, ()))):
        digest.update(str(dependency).encode() + b"\0" + _digest(dependency, memo))
    return digest.hexdigest()


def record(app: Sphinx, doctree: nodes.document) -> None:
    """Keep what the document just read was made of (after every collector has noted the
    files it depends on: images, data files)."""
    env = app.env
    getattr(env, STORE)[env.docname] = state(env, env.docname, {})


def outdated(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """The documents Sphinx would keep whose bytes changed since they were read.

    Sphinx reads a document again when its file, or one it depends on, is newer than the
    last read: a file put back with its old time (a copy that keeps times, a backup, an
    archive) would keep the old doctree, and the build would publish the text it replaced.
    """
    stored = getattr(env, STORE, {})
    memo: dict[Path, bytes] = {}
    return sorted(
        docname
        for docname in env.found_docs - added - changed
        if docname in stored and stored[docname] != state(env, docname, memo)
    )


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", record, priority=900)
    app.connect("env-get-outdated", outdated)
