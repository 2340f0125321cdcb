"""A Markdown document's directives this book does not know, written as notes or rubrics."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from classbook.sources.mdinline import Context
from classbook.sources.myst import lexes, options_end

#: A titled note (an unknown directive written as one) with nothing but blank lines in it.
_EMPTY_NOTE = re.compile(
    r"^([ \t>]*)(`{3,}|:{3,})\{admonition\}([^\n]*)\n(?:[ \t>]*\n)*?\1\2[ \t]*$", re.M
)


def empty_notes_as_rubrics(markdown: str) -> str:
    """A note whose content was only what is left out (a logo in {raw} html) has no content:
    a rubric with its title instead (an empty note fails the build)."""
    return _EMPTY_NOTE.sub(r"\1\2{rubric}\3\n\1\2", markdown)


#: Jupyter's code cells (MyST-NB, jupytext): the code is the document's, the output is
#: never run here.
CODE_CELLS = frozenset({"code-cell"})
#: What a code cell's kernel name means as Pygments knows languages.
KERNELS = {"ipython3": "python", "ipython": "python", "python3": "python", "": "python"}


@dataclass(frozen=True)
class Fenced:
    """One ``{name}`` directive of a block's lines: its opening line's parts and where its
    options and its content end."""

    opening: int
    indent: str
    fence: str
    argument: str
    options_end: int
    closing: int


def fenced(lines: list[str], name: str) -> Iterator[Fenced]:
    """Each ``{name}`` directive in ``lines``, nested ones too, first to last."""
    opening = re.compile(r"^([ \t>]*)(`{3,}|:{3,})\s*\{" + re.escape(name) + r"\}(.*)$")
    for index, current in enumerate(lines):
        if not (match := opening.match(current)):
            continue
        indent, fence, argument = match.groups()
        closing = next(
            (
                i
                for i in range(index + 1, len(lines))
                if lines[i].strip().startswith(fence) and not lines[i].strip().strip(fence[0])
            ),
            len(lines),
        )
        options = options_end(lines, index + 1, closing)
        yield Fenced(index, indent, fence, argument, options, closing)


def code_cells(context: Context, text: str, name: str, line: int) -> str:
    """Every code cell as a code block of its language (Python for a Python kernel, plain
    text when Pygments cannot read it): its options left out, its code as written."""
    context.note(line, f"a {{{name}}} written as a code block: its code is not run")
    lines = text.split("\n")
    options: set[int] = set()  # dropped, not blanked: a code block shows blank lines
    for cell in fenced(lines, name):
        code = "\n".join(lines[cell.options_end : cell.closing])
        kernel = cell.argument.strip()
        language = KERNELS.get(kernel, kernel)
        language = language if lexes(language, code) else "text"
        options.update(range(cell.opening + 1, cell.options_end))
        lines[cell.opening] = f"{cell.indent}{cell.fence}{language}"
    return "\n".join(line for number, line in enumerate(lines) if number not in options)


def unknown_directive(context: Context, text: str, name: str, line: int) -> str:
    """Every ``{name}`` directive (one this book does not know) as a titled note, or as a
    rubric when it has no content of its own; its options, which are its own, left out."""
    context.note(
        line,
        f"directive {{{name}}} is not one this book knows: written as a note titled "
        f"{name.title()!r}",
    )
    lines = text.split("\n")
    for note in fenced(lines, name):
        for blank in range(note.opening + 1, note.options_end):
            lines[blank] = ""
        # Content that is only markup ({raw} html: a logo, a link) has nothing to show.
        content = lines[note.options_end : note.closing]
        words = re.sub(r"<[^>]*>", " ", "\n".join(content)).strip()
        if not words:
            for blank in range(note.options_end, note.closing):
                lines[blank] = ""
        kind = "admonition" if words else "rubric"
        lines[note.opening] = f"{note.indent}{note.fence}{{{kind}}} {name.title()}{note.argument}"
        lines[note.opening] = lines[note.opening].rstrip()
    return "\n".join(lines)
