"""A Markdown document's directives this book does not know, written as notes or rubrics."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from classbook.sources.mdinline import Context
from classbook.sources.myst import lexes, options_end

#: A titled note with nothing but blank lines in it after its options (a YAML block or
#: :key: lines): an unknown directive written as one, or an answer whose figure was left out.
_EMPTY_NOTE = re.compile(
    r"^([ \t>]*)(`{3,}|:{3,})\{admonition\}([^\n]*)\n"
    r"(?:[ \t>]*---[ \t]*\n(?:(?![ \t>]*---).*\n)*?[ \t>]*---[ \t]*\n|(?:[ \t>]*:[\w-]+:.*\n)*)"
    r"(?:[ \t>]*\n)*?\1\2[ \t]*$",
    re.M,
)


def empty_notes_as_rubrics(markdown: str) -> str:
    """A note whose content was only what is left out (a logo in {raw} html, an answer's
    figure not beside the document) has no content: a rubric with its title instead (an
    empty note fails the build), without the note's options."""
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


#: Directives that show nothing where they stand: an index entry (a book here has no index),
#: the mark that closes a solution (sphinx-exercise's solution-start ... solution-end).
SHOW_NOTHING = frozenset({"index", "solution-end"})
#: Directives whose argument is a label for the machine (the exercise a solution answers),
#: not words for the reader: the title leaves it out.
LABEL_ARGUMENT = frozenset({"solution", "solution-start"})
#: Titles that are not the directive's name in words.
TITLES = {"solution-start": "Solution"}


def directive_title(name: str, argument: str = "") -> str:
    """What a reader sees as the title of an unknown ``{name}`` directive: its name in words,
    without an extension's prefix ("prf:theorem" is "Theorem"), and its argument (a
    theorem's name) in parentheses."""
    words = TITLES.get(name) or name.rpartition(":")[2].replace("-", " ").replace("_", " ")
    title = words.strip()[:1].upper() + words.strip()[1:]
    argument = "" if name in LABEL_ARGUMENT else argument.strip()
    return f"{title} ({argument})" if argument else title


#: A thematic break, or sphinx-design's card separators (^^^ header, +++ footer).
_RULE = re.compile(r"^[ \t>]*(?:-{3,}|\*{3,}|_{3,}|\^{3,}|\+{3,})[ \t]*$")
_NESTED = re.compile(r"^[ \t>]*(`{3,}|:{3,}|~{3,})")


def _without_rules(lines: list[str], start: int, end: int) -> None:
    """Blank the rules inside a note, from ``start`` to ``end``: docutils allows a
    transition only between sections ("Transition must be child of <document> or
    <section>"), and a card's ^^^ and +++ only divide it. A nested directive's options
    (a YAML block between --- lines) and code stay as they are."""
    index = start
    while index < end:
        if fence := _NESTED.match(lines[index]):
            if "{" in lines[index]:  # a directive: its options, then its content
                index = options_end(lines, index + 1, end)
                continue
            mark = fence.group(1)
            if mark[0] != ":":  # a code block, to its closing fence (colons: a div's mark)
                index += 1
                while index < end and not lines[index].strip().startswith(mark):
                    index += 1
        elif _RULE.match(lines[index]):
            lines[index] = ""
        index += 1


def unknown_directive(context: Context, text: str, name: str, line: int) -> str:
    """Every ``{name}`` directive (one this book does not know) as a titled note, or as a
    rubric when it has no content of its own, or left out when it shows nothing (an index
    entry, markup alone); its options, which are its own, left out."""
    lines = text.split("\n")
    dropped: set[int] = set()  # a rubric takes no content, not even blank lines
    for note in fenced(lines, name):
        for blank in range(note.opening + 1, note.options_end):
            lines[blank] = ""
        # Content that is only markup ({raw} html: a logo, a link) has nothing to show.
        content = lines[note.options_end : note.closing]
        words = re.sub(r"<[^>]*>", " ", "\n".join(content)).strip()
        if not words:
            dropped.update(range(note.opening + 1, note.closing))
        raw_html = name == "raw" and note.argument.strip().lower() == "html"
        if name in SHOW_NOTHING or (name == "raw" and not (raw_html and words)):
            # Sphinx writes raw LaTeX or Jupyter markup into no output these books have.
            context.note(line, f"directive {{{name}}} left out: it shows nothing on a page")
            for blank in range(note.opening, min(note.closing + 1, len(lines))):
                lines[blank] = ""
            continue
        if raw_html:  # its HTML was converted (sources/html.py): what it says, without a frame
            context.note(line, "directive {raw} html: its text kept, without a frame")
            lines[note.opening] = ""
            if note.closing < len(lines):
                lines[note.closing] = ""
            continue
        _without_rules(lines, note.options_end, note.closing)
        title = directive_title(name, note.argument)
        context.note(
            line,
            f"directive {{{name}}} is not one this book knows: written as a "
            f"{'note' if words else 'heading'} titled {title!r}",
        )
        kind = "admonition" if words else "rubric"
        lines[note.opening] = f"{note.indent}{note.fence}{{{kind}}} {title}".rstrip()
    return "\n".join(line for number, line in enumerate(lines) if number not in dropped)
