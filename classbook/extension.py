"""The Sphinx extension: configuration values, directives, transforms, builders and events."""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.config import ENUM

from classbook import __version__
from classbook.builders import context, navigation, web
from classbook.ext import (
    bibfiles,
    changes,
    checks,
    citations,
    claimreview,
    directives,
    gated,
    nodes,
    pagemap,
    register,
    safety,
    scripts,
    timeline,
)

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

#: The package's Jinja templates (the book's ``templates_path`` is searched first).
TEMPLATES = Path(__file__).parent / "templates"

#: Per-document records the directives keep in the environment.
_ENV_STORES = ("classbook_source_texts", "classbook_claims", changes.STORE)


def _init_stores(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    for store in _ENV_STORES:
        if not hasattr(env, store):
            setattr(env, store, {})


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    for store in _ENV_STORES:
        getattr(env, store, {}).pop(docname, None)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    for store in _ENV_STORES:
        mine = getattr(env, store)
        for docname in docnames:
            if docname in getattr(other, store, {}):
                mine[docname] = getattr(other, store)[docname]


def _add_templates(app: Sphinx, config: Config) -> None:
    # The package's templates (theme fixes, downloads, packets) come with the extension:
    # after the book's own templates_path, so a book can still override any of them.
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path.append(str(TEMPLATES))


def _check_config(app: Sphinx, config: Config) -> None:
    # A typo in conf.py must be named there, not fail inside a WeasyPrint worker later.
    from sphinx.errors import ConfigError

    from classbook.render import PAPER_SIZES

    papers = list(config.classbook_paper_sizes)
    unknown = [paper for paper in papers if paper not in PAPER_SIZES]
    if not papers or unknown:
        raise ConfigError(
            f"conf.py: classbook_paper_sizes = {papers!r}: give one or more of "
            f"{', '.join(map(repr, PAPER_SIZES))}"
        )
    if "substitution" in config.myst_enable_extensions:
        raise ConfigError(
            "conf.py: myst_enable_extensions names 'substitution': its {{ … }} are Jinja "
            "expressions evaluated with Sphinx's environment, so any chapter could run code "
            "in the build; a classbook book does not allow it (write the text out)"
        )
    numbers = config.classbook_page_numbers
    if numbers and numbers not in papers:
        raise ConfigError(
            f"conf.py: classbook_page_numbers = {numbers!r} is not one of classbook_paper_sizes "
            f"({', '.join(map(repr, papers))}); name the paper whose page numbers the EPUB and "
            "the web site carry, or '' for none"
        )


#: sphinxext-opengraph's social cards: the module imports matplotlib and pyplot at once.
_SOCIAL_CARDS = "sphinxext.opengraph._social_cards"


def _opengraph_without_social_cards(app: Sphinx) -> None:
    """Import sphinxext-opengraph without its social cards when conf.py turns them off.

    Version 0.13 imports them (matplotlib and pyplot) whether or not they are on: about
    0.7 s and 40 MB in every Sphinx process, the print builds' included. Without the module
    it sets the cards aside as if matplotlib were missing, which is what "off" means; the
    line it prints to say so is not shown. Only when classbook is loaded first (it is, in
    every conf.py new-book writes and in the book's).
    """
    # conf.py's values, before sphinxext-opengraph registers its own.
    raw = getattr(app.config, "_raw_config", {})
    cards = raw.get("ogp_social_cards") or {}
    if (
        "sphinxext.opengraph" not in raw.get("extensions", ())
        or "sphinxext.opengraph" in sys.modules
        or not isinstance(cards, dict)
        or cards.get("enable") is not False
    ):
        return
    sys.modules[_SOCIAL_CARDS] = None  # type: ignore[assignment]  # import fails: ImportError
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            importlib.import_module("sphinxext.opengraph")
    finally:
        del sys.modules[_SOCIAL_CARDS]


def _check(app: Sphinx, env: BuildEnvironment) -> None:
    checks.check_source_fidelity(app, env)
    checks.check_claims(app, env)


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register configuration, directives, transforms and builders."""
    _opengraph_without_social_cards(app)
    app.add_config_value(
        "classbook_slug", lambda c: c.project.lower().replace(" ", "-"), "env", str
    )
    app.add_config_value("classbook_source_document", "", "env", str)
    app.add_config_value("classbook_paper_sizes", ["a4", "letter"], "env", list)
    app.add_config_value("classbook_default_paper", "a4", "env", ENUM("a4", "letter"))
    app.add_config_value("classbook_edition", "student", "env", ENUM("student", "teacher"))
    app.add_config_value("classbook_print_theme", "print", "env", str)
    app.add_config_value("classbook_render_timeout", 300, "env", int)
    # The book PDF is laid out in parts of about this many words, side by side on every core.
    app.add_config_value("classbook_pdf_part_words", 6000, "env", int)
    # Digits of the book PDF's page numbers (0: from the book's length).
    app.add_config_value("classbook_pdf_page_digits", 0, "env", int)
    app.add_config_value("classbook_publisher", "", "env", str)
    app.add_config_value("classbook_subtitle", "", "env", str)
    app.add_config_value("classbook_description", "", "env", str)
    app.add_config_value("classbook_license", "", "env", str)
    app.add_config_value("classbook_license_url", "", "env", str)
    app.add_config_value("classbook_content_note_doc", "", "env", str)

    nodes.register(app)
    changes.setup(app)
    pagemap.setup(app)
    safety.setup(app)
    bibfiles.setup(app)
    gated.setup(app)
    scripts.setup(app)
    citations.setup(app)
    claimreview.setup(app)
    register.setup(app)
    timeline.setup(app)
    for name, directive in directives.DIRECTIVES.items():
        app.add_directive(name, directive)

    app.connect("config-inited", _add_templates)
    app.connect("config-inited", _check_config)
    app.connect("env-before-read-docs", _init_stores)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-check-consistency", _check)
    app.connect("html-page-context", context.add_page_context)

    from classbook import builders

    builders.register(app)
    from classbook.builders import downloads

    downloads.setup(app)
    from classbook.builders import packets  # needs the builders above

    packets.setup(app)
    web.setup(app)
    navigation.setup(app)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
