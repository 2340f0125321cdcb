"""The bibliography formatted once per parse, not again by every builder of a build.

sphinxcontrib-bibtex formats every cited entry on each ``env-updated``, which Sphinx emits in
every build, even one that reads no document. A build of every output runs six builders over
one saved environment, and each paid that formatting again (1.7 s for our book's 86
references). The formatted citations are saved with the environment, so a builder that read
nothing, with the same ``.bib`` files and ``bibtex_*`` settings, keeps them; anything else
formats them as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment

#: The environment's record of what its saved citations were formatted from.
_FORMATTED = "classbook_bibliography_formatted"


def _inputs(app: Sphinx) -> tuple[object, ...]:
    """What the formatted citations depend on beyond the documents: every ``bibtex_*``
    setting (found by rule) and each ``.bib`` file's path and modification time."""
    from sphinxcontrib.bibtex.domain import BibtexDomain

    settings = sorted(
        (value.name, repr(value.value)) for value in app.config if value.name.startswith("bibtex_")
    )
    domain = app.env.get_domain("cite")
    assert isinstance(domain, BibtexDomain)
    data = domain.bibdata
    files = sorted((str(path), info.mtime) for path, info in data.bibfiles.items())
    return (tuple(settings), data.encoding, tuple(files))


#: Whether this build read or purged a document (set afresh as each builder starts).
_TOUCHED = "classbook_documents_touched"


def _read_nothing(app: Sphinx) -> bool:
    return not getattr(app.env, _TOUCHED, True)


def _untouched(app: Sphinx) -> None:
    setattr(app.env, _TOUCHED, False)


def _touched(app: Sphinx, *_: Any) -> None:
    setattr(app.env, _TOUCHED, True)


def _before_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    if docnames:
        setattr(env, _TOUCHED, True)


def _once(format_all: Callable[[Sphinx, BuildEnvironment], Iterable[str]]) -> Callable[..., Any]:
    def env_updated(app: Sphinx, env: BuildEnvironment) -> Iterable[str]:
        inputs = _inputs(app)
        if _read_nothing(app) and getattr(env, _FORMATTED, None) == inputs:
            return []
        setattr(env, _FORMATTED, None)  # until formatting succeeds
        updated = format_all(app, env)
        setattr(env, _FORMATTED, inputs)
        return updated

    return env_updated


def _wrap(app: Sphinx, config: Config) -> None:
    """Put the wrapper in place of sphinxcontrib-bibtex's ``env-updated`` listener."""
    from sphinxcontrib import bibtex

    for listener in list(app.events.listeners.get("env-updated", [])):
        if listener.handler is bibtex.env_updated:
            app.disconnect(listener.id)
            app.connect("env-updated", _once(bibtex.env_updated), priority=listener.priority)


def setup(app: Sphinx) -> None:
    """Mark a build that reads or purges a document; wrap the formatting once every
    extension is loaded (whatever their order in ``extensions``)."""
    app.connect("config-inited", _wrap)
    app.connect("builder-inited", _untouched)
    app.connect("env-purge-doc", _touched)
    app.connect("env-before-read-docs", _before_read)
