"""The build's steps: which Sphinx builder, over which edition, writes which output."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from classbook.cli import PublishError
from classbook.outputs import (
    BUILDERS,
    EPUB,
    HANDOUTS,
    HTML,
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
    Step(HTML, STUDENT, BUILDERS[HTML]),
)
#: The editions: the Sphinx tag of each (the teacher edition is a parse of its own).
EDITIONS = {STUDENT: (), TEACHER: (TEACHER,)}
#: Packages whose versions shape the outputs: a change starts the work area afresh.
PACKAGES = ("sphinx", "myst-parser", "sphinx-book-theme", "pydata-sphinx-theme", "docutils")


def outputs_for(names: Sequence[str]) -> list[str]:
    """The outputs to build for ``names`` (``all`` or output names), in build order."""
    wanted: set[str] = set()
    for name in names:
        if name == "all":
            wanted |= set(OUTPUTS)
        elif name in OUTPUTS:
            wanted |= {name, *NEEDS.get(name, ())}
        else:
            raise PublishError(f"{name!r} is not an output: choose from all, {', '.join(OUTPUTS)}")
    return [name for name in OUTPUTS if name in wanted]
