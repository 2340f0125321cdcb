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

if TYPE_CHECKING:
    from docutils.nodes import Node

logger = logging.getLogger(__name__)


def _text(paragraph: nodes.paragraph) -> str:
    """A paragraph's text as a reader sees it (an image's alt text is not the source's)."""
    return "".join(t.astext() for t in paragraph.findall(nodes.Text)).strip()


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


class SourceText(SphinxDirective):
    """The source document's own paragraphs, verbatim; checked against it at build time."""

    has_content = True

    def run(self) -> list[Node]:
        node = cb_nodes.source_text()
        node["classes"].append("source-text")
        self.set_source_info(node)
        if is_plain_text(self.config.classbook_source_document):
            # Plain paragraphs: a plain-text source must not gain markup.
            units = _paragraphs(list(self.content))
            for paragraph in units:
                node += nodes.paragraph(paragraph, paragraph)
        else:
            # A Markdown or Word source keeps its lists, emphasis, links and tables; the
            # check compares the text of each paragraph, list item and table cell.
            node += self.parse_content_to_nodes()
            units = [text for p in node.findall(nodes.paragraph) if (text := _text(p))]
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
