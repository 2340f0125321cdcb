"""The Sphinx extension: configuration values, directives, transforms, builders and events."""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from classbook import builders, config
from classbook._version import __version__
from classbook.builders import (
    assignmentpages,
    cartridge,
    claimreview,
    context,
    downloads,
    formulas,
    navigation,
    packets,
    pagemap,
    web,
)
from classbook.ext import (
    bibfiles,
    bibformat,
    blocks,
    changes,
    checks,
    citations,
    content,
    directives,
    gated,
    hints,
    nodes,
    register,
    registercheck,
    safety,
    stores,
    timeline,
    words,
)
from classbook.ext import formulas as formula_collection
from classbook.urls import site_address

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata

#: The package's Jinja templates (the book's ``templates_path`` is searched first).
TEMPLATES = Path(__file__).parent / "templates"


def _add_templates(app: Sphinx, config: Config) -> None:
    # The package's templates (theme fixes, downloads, packets) come with the extension:
    # after the book's own templates_path, so a book can still override any of them.
    # A list of this application's own: templates_path's default is one list for every
    # application of the process, which the themes append to, so each later application
    # (the orchestrator's next step, a live preview's next rebuild) saw it grow, and Sphinx,
    # its configuration changed, wrote every page again.
    config.templates_path = [*config.templates_path]
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path.append(str(TEMPLATES))


def _known_address(app: Sphinx, config: Config) -> None:
    """The site's address is a real one or none (classbook.urls.site_address): a placeholder
    such as ``books.example.org`` would be printed as QR codes that lead nowhere."""
    config.html_baseurl = site_address(config.html_baseurl or "")


def _refuse_substitutions(app: Sphinx, config: Config) -> None:
    """MyST's substitutions evaluate Jinja with Sphinx's environment: any chapter could run
    code in the build (docs/security.md)."""
    from sphinx.errors import ConfigError

    if "substitution" in config.myst_enable_extensions:
        raise ConfigError(
            "conf.py: myst_enable_extensions names 'substitution': its {{ … }} are Jinja "
            "expressions evaluated with Sphinx's environment, so any chapter could run code "
            "in the build; a classbook book does not allow it (write the text out)"
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
    config.register(app)

    words.setup(app)
    nodes.register(app)
    changes.setup(app)
    blocks.setup(app)
    safety.setup(app)
    content.setup(app)
    hints.setup(app)
    bibfiles.setup(app)
    bibformat.setup(app)
    gated.setup(app)
    citations.setup(app)
    register.setup(app)
    registercheck.setup(app)
    stores.setup(app)
    timeline.setup(app)
    formula_collection.setup(app)
    for name, directive in directives.DIRECTIVES.items():
        app.add_directive(name, directive)

    app.connect("config-inited", _add_templates, priority=100)  # before the themes append
    app.connect("config-inited", config.check)
    app.connect("config-inited", _refuse_substitutions)
    app.connect("config-inited", _known_address)
    app.connect("env-check-consistency", _check)
    app.connect("html-page-context", context.add_page_context)

    builders.setup(app)
    pagemap.setup(app)
    downloads.setup(app)
    packets.setup(app)
    cartridge.setup(app)
    assignmentpages.setup(app)
    claimreview.setup(app)
    web.setup(app)
    navigation.setup(app)
    formulas.setup(app)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
