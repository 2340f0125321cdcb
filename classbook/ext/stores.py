"""The per-document records the directives keep in Sphinx's environment, kept in one way:
made before reading, dropped with their document, merged after a parallel read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from classbook.ext import changes, content, formulas, register

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

#: Each record: document name -> what the directives of that document noted.
STORES = (
    "classbook_source_texts",  # the source-text blocks (classbook.ext.directives)
    "classbook_claims",  # the editor's notes and their claims (classbook.ext.directives)
    register.STORE,  # the registers each document renders
    formulas.STORE,  # each document's formulas (classbook.ext.formulas)
    changes.STORE,  # the digests of each document's files (classbook.ext.changes)
    content.STORE,  # the images left out for want of alt text (classbook.ext.content)
)


def _init(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    for store in STORES:
        if not hasattr(env, store):
            setattr(env, store, {})


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    for store in STORES:
        getattr(env, store, {}).pop(docname, None)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    for store in STORES:
        mine, theirs = getattr(env, store), getattr(other, store, {})
        for docname in docnames:
            if docname in theirs:
                mine[docname] = theirs[docname]


def setup(app: Sphinx) -> None:
    """Keep the records with their documents."""
    app.connect("env-before-read-docs", _init)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
