"""MyST directives that mark what the editors add, and the verbatim source text."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.addnodes import pending_xref
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from classbook.ext import datafiles, register, schemas
from classbook.ext import nodes as cb_nodes
from classbook.sources.myst import formula_mark, reference_mark

if TYPE_CHECKING:
    from docutils.nodes import Node

logger = logging.getLogger(__name__)


#: Inside a paragraph, text that is not the source's words: a footnote's number, a
#: citation's label, raw output, a parse error's message.
_NOT_WORDS = (nodes.footnote_reference, nodes.citation_reference, nodes.raw, nodes.system_message)


#: The elements whose text is one unit of the source: a paragraph, a figure's caption.
_UNITS = (nodes.paragraph, nodes.caption)


def _text(paragraph: nodes.Element) -> str:
    """A paragraph's text as a reader sees it (an image's alt text, a footnote's number are
    not the source's); MyST's hard line break (raw ``<br />``) is a newline."""
    parts = []
    for child in paragraph.children:
        if _is_hard_break(child):
            parts.append("\n")
        elif isinstance(child, nodes.Text):
            parts.append(child.astext())
        elif isinstance(child, nodes.math):  # marked as the source reader marks it
            parts.append(formula_mark(child.astext()))
        elif isinstance(child, pending_xref) and child.get("reftype") == "eq":
            parts.append(reference_mark(child.astext()))
        elif isinstance(child, nodes.Element) and not isinstance(child, _NOT_WORDS):
            parts.append(_text(child))
    return "".join(parts).strip() if isinstance(paragraph, nodes.paragraph) else "".join(parts)


def _is_hard_break(node: nodes.Node) -> bool:
    """MyST writes a hard line break as raw ``<br />`` for HTML and ``\\`` for LaTeX."""
    return isinstance(node, nodes.raw) and node.astext() == "<br />\n"


def _break_lines(node: nodes.Element) -> None:
    """Paragraphs with hard line breaks become line blocks: every output prints them line
    for line, and no raw output is left for the safety checks to refuse."""
    for paragraph in list(node.findall(nodes.paragraph)):
        if not any(_is_hard_break(child) for child in paragraph.children):
            continue
        lines: list[list[nodes.Node]] = [[]]
        for child in paragraph.children:
            if _is_hard_break(child):
                lines.append([])
            elif not isinstance(child, nodes.raw):
                lines[-1].append(child.deepcopy())
        block = nodes.line_block("", *(nodes.line("", "", *line) for line in lines))
        block.source, block.line = paragraph.source, paragraph.line
        paragraph.replace_self(block)
    # A break inside emphasis or a link: a newline there (the words are kept, the break not).
    for raw in list(node.findall(nodes.raw)):
        if _is_hard_break(raw):
            raw.replace_self(nodes.Text("\n"))
        elif raw.astext() == "\\\\\n" and "latex" in raw.get("format", ""):
            raw.parent.remove(raw)


def is_plain_text(source_document: str) -> bool:
    """Whether the book's source is plain text (paragraphs one per line, no markup)."""
    return source_document.lower().endswith(".txt")


def _paragraphs(lines: list[str]) -> list[str]:
    """Split directive content into paragraphs of joined lines, exactly as written."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    return paragraphs


def _lines(lines: list[str], node: nodes.Element, preformatted: bool) -> list[str]:
    """Verse (a line block per stanza) or a preformatted block (as written, one literal
    block) into ``node``; the text of each, lines joined by newlines, as its units."""
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if preformatted:
        text = "\n".join(line.rstrip() for line in lines)
        node += nodes.literal_block(text, text)
        return [text]
    units: list[str] = []
    stanza: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            stanza.append(line.strip())
        elif stanza:
            node += nodes.line_block("", *(nodes.line(text, text) for text in stanza))
            units.append("\n".join(stanza))
            stanza = []
    return units


class SourceText(SphinxDirective):
    """The source document's own paragraphs, verbatim; checked against it at build time."""

    has_content = True
    #: How a plain-text source's lines are printed: joined into paragraphs (the default),
    #: kept line for line (verse, lists), or kept as written in a fixed-width font.
    option_spec: ClassVar[dict] = {
        "layout": lambda value: directives.choice(value, ("paragraphs", "lines", "preformatted"))
    }

    def run(self) -> list[Node]:
        node = cb_nodes.source_text()
        node["classes"].append("source-text")
        self.set_source_info(node)
        layout = self.options.get("layout", "paragraphs")
        if is_plain_text(self.config.classbook_source_document) and layout != "paragraphs":
            units = _lines(list(self.content), node, preformatted=layout == "preformatted")
        elif is_plain_text(self.config.classbook_source_document):
            # Plain paragraphs: a plain-text source must not gain markup.
            units = _paragraphs(list(self.content))
            for paragraph in units:
                node += nodes.paragraph(paragraph, paragraph)
        else:
            # A Markdown or Word source keeps its lists, emphasis, links and tables; the
            # check compares the text of each paragraph, list item and table cell (and a
            # figure's caption, which docutils makes of the figure's first paragraph).
            node += self.parse_content_to_nodes()
            texts = [n for n in node.findall(nodes.Element) if isinstance(n, _UNITS)]
            units = [
                text
                for p in texts
                if not isinstance(p.parent, nodes.system_message) and (text := _text(p))
            ]
            _break_lines(node)
        store = self.env.classbook_source_texts  # type: ignore[attr-defined]  # set by ext.stores
        store.setdefault(self.env.docname, []).append((self.lineno, units))
        return [node]


class _EditorialBlock(SphinxDirective):
    """A labelled block of the editors' own material (objectives, questions)."""

    has_content = True
    title: ClassVar[str]
    kind: ClassVar[str]

    def run(self) -> list[Node]:
        node = cb_nodes.editorial(kind=self.kind, title=self.title)
        node["classes"] += ["editorial", self.kind]
        self.set_source_info(node)
        node += nodes.rubric(self.title, self.title, classes=["editorial-title"])
        node += self.parse_content_to_nodes()
        if not list(node.findall(nodes.list_item)):
            logger.warning("%s: list the items as a Markdown list", self.name, location=node)
        return [node]


class Objectives(_EditorialBlock):
    """Learning objectives at the top of a chapter."""

    title = "Learning objectives"
    kind = "objectives"


class Questions(_EditorialBlock):
    """Discussion questions at the end of a chapter; handouts add answer space."""

    title = "Discussion questions"
    kind = "questions"


class EditorNote(SphinxDirective):
    """An editor's note on a claim of the source text; it must cite a source.

    Its verdict comes from the claims register (the entry whose id is the label without
    ``note-``) and is printed in every edition; the teacher edition also prints the
    register's evidence quotes under the note.
    """

    has_content = True
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "claim": directives.unchanged_required,
        "label": directives.unchanged,
    }

    def run(self) -> list[Node]:
        claim = " ".join(self.options.get("claim", "").split())
        label = self.options.get("label", "").strip()
        node = cb_nodes.editor_note(claim=claim)
        node["classes"].append("editor-note")
        self.set_source_info(node)
        if label:
            node["ids"].append(nodes.make_id(label))
        title = nodes.rubric("Editor's note", "Editor's note", classes=["editorial-title"])
        node += title
        if claim:
            quote = nodes.paragraph(classes=["claim"])
            quote += nodes.Text("The source says: ")
            quote += nodes.inline(claim, f"\u201c{claim}\u201d", classes=["claim-words"])
            node += quote
        else:
            logger.warning(
                "editor-note: give the source's words it annotates as ':claim: …'",
                location=node,
            )
        entry = self._entry(label)
        if entry is not None:
            verdict = nodes.paragraph(classes=["verdict-line"])
            verdict += nodes.Text("Our verdict: ")
            verdict += register.verdict_node(entry)
            node += verdict
        node += self.parse_content_to_nodes()
        keys = [
            key.strip()
            for ref in node.findall(pending_xref)
            if ref.get("refdomain") == "cite"
            for key in str(ref.get("reftarget", "")).split(",")
            if key.strip()
        ]
        if not keys:
            logger.warning(
                "editor-note: cite at least one source with {cite:p}`key`", location=node
            )
        if entry is not None and self.config.classbook_edition == "teacher":
            evidence = nodes.container(classes=["note-evidence"])
            heading = "Evidence (teacher edition)"
            evidence += nodes.rubric(heading, heading, classes=["evidence-title"])
            evidence += register.evidence_list(self, entry)
            node += evidence
        store = self.env.classbook_claims  # type: ignore[attr-defined]  # set by ext.stores
        store.setdefault(self.env.docname, []).append(
            {"line": self.lineno, "claim": claim, "label": label, "keys": list(dict.fromkeys(keys))}
        )
        return [node]

    def _entry(self, label: str) -> schemas.Claim | None:
        """The register entry of this note, if the register has a valid one."""
        if not label.startswith("note-"):
            return None
        if (found := datafiles.data_path(self, "classbook_claims_file")) is None:
            return None
        _relative, path = found
        self.env.note_dependency(str(path))
        wanted = label.removeprefix("note-")
        return next((c for c in register.read_claims(self.env, path) if c.id == wanted), None)


class TeacherOnly(SphinxDirective):
    """Guidance for teachers, parsed only for the teacher edition.

    Student doctrees never contain it, so no student output can leak it; the teacher
    edition is a separate parse (``-t teacher``, its own doctree folder).
    """

    has_content = True

    def run(self) -> list[Node]:
        if self.config.classbook_edition != "teacher":
            return []
        content = self.parse_content_to_nodes(allow_section_headings=True)
        # A table of contents (the "For teachers" part) needs no box around it.
        if any(isinstance(node, nodes.compound) for node in content):
            return content
        block = cb_nodes.editorial(kind="teacher-only", title="For teachers")
        block["classes"] += ["editorial", "teacher-only"]
        self.set_source_info(block)
        block += nodes.rubric("For teachers", "For teachers", classes=["editorial-title"])
        block += content
        return [block]


DIRECTIVES: dict[str, type[SphinxDirective]] = {
    "source-text": SourceText,
    "objectives": Objectives,
    "questions": Questions,
    "editor-note": EditorNote,
    "teacher-only": TeacherOnly,
}
