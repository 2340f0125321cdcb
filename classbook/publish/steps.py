"""The build's steps: which Sphinx builder, over which edition, writes which output."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from classbook import urls
from classbook.cli import PublishError
from classbook.outputs import (
    BUILDERS,
    CARTRIDGE,
    EPUB,
    HANDOUTS,
    HTML,
    NEED_ADDRESS,
    NEEDS,
    OUTPUTS,
    PACKETS,
    PDF,
    STUDENT,
    TEACHER,
)


@dataclass(frozen=True)
class Step:
    """One Sphinx builder over one edition, writing one folder of the work area."""

    output: str
    edition: str
    builder: str
    #: Files of the work folder that are published: every file, or only the PDFs.
    pattern: str = "**/*"
    #: Run in a process of its own, beside the build's steps (publish/aside.py): for a
    #: builder that waits for no PDF, over an edition no other step reads.
    aside: bool = False


#: The steps in the order they run: the book PDFs, the biggest jobs, go to the pool first;
#: the packets, which wait for their chapters' page counts (urgent jobs, first in the
#: queue), come next. The teacher edition is read and written beside them, in a process of
#: its own (the machine has two cores; the Sphinx steps use one), and its PDFs join the pool.
STEPS = (
    Step(PDF, STUDENT, BUILDERS[PDF], "*.pdf"),
    Step(PDF, TEACHER, BUILDERS[PDF], "*.pdf", aside=True),
    Step(PACKETS, STUDENT, BUILDERS[PACKETS], "*.pdf"),
    Step(EPUB, STUDENT, BUILDERS[EPUB]),
    Step(HANDOUTS, STUDENT, BUILDERS[HANDOUTS], "*.pdf"),
    # Before the site, which offers the book's cartridge as a download for teachers.
    Step(CARTRIDGE, STUDENT, BUILDERS[CARTRIDGE], "**/*.imscc"),
    Step(HTML, STUDENT, BUILDERS[HTML]),
)
#: The editions: the Sphinx tag of each (the teacher edition is a parse of its own).
EDITIONS = {STUDENT: (), TEACHER: (TEACHER,)}
#: Packages whose versions shape the outputs: a change starts the work area afresh.
PACKAGES = ("sphinx", "myst-parser", "sphinx-book-theme", "pydata-sphinx-theme", "docutils")


def site_address(conf_dir: Path, overrides: Mapping[str, str]) -> str:
    """The published site's address as the book's build will see it (conf.py's
    ``html_baseurl``, a ``-D`` override, or the host's; see :func:`classbook.urls.site_address`),
    "" when none is known: read before the build, since it decides the build's steps."""
    from sphinx.config import eval_config_file
    from sphinx.errors import ConfigError
    from sphinx.util.tags import Tags

    given = overrides.get("html_baseurl")
    if given is None:
        # conf.py as Sphinx evaluates it (the student edition: no tags).
        try:
            namespace = eval_config_file((conf_dir / "conf.py").resolve(), Tags())
        except ConfigError:
            return ""  # the build reads conf.py again and reports the error there
        given = namespace.get("html_baseurl") or ""
    return urls.site_address(str(given))


def outputs_for(names: Sequence[str], address: str = "") -> list[str]:
    """The outputs to build for ``names`` (``all`` or output names), in build order: those
    that link to the site (the cartridge) only with its ``address``, which an output asked
    for by name cannot do without."""
    wanted: set[str] = set()
    for name in names:
        if name == "all":
            wanted |= set(OUTPUTS)
        elif name in OUTPUTS:
            if name in NEED_ADDRESS and not address:
                raise PublishError(
                    f"{name}: no real address of the published site is known, and every web "
                    "link of a cartridge points there: set html_baseurl in conf.py (a "
                    "placeholder such as example.org is refused)"
                )
            wanted |= {name, *NEEDS.get(name, ())}
        else:
            raise PublishError(f"{name!r} is not an output: choose from all, {', '.join(OUTPUTS)}")
    if not address:
        wanted -= set(NEED_ADDRESS)
    return [name for name in OUTPUTS if name in wanted]
