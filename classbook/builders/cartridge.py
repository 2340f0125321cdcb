"""The cartridge builder: the book and each assignment as Common Cartridges for an LMS."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypedDict

from docutils import nodes
from sphinx import addnodes
from sphinx.builders import Builder
from sphinx.util import logging
from sphinx.util.display import progress_message

from classbook import cartridge as cc
from classbook import outputs
from classbook.builders.assignments import (
    Assignment,
    Chapter,
    catalogue,
    read_all,
    render_markdown,
)
from classbook.builders.context import build_date
from classbook.builders.downloads import made
from classbook.builders.printing import ClassbookError
from classbook.ext import nodes as cb_nodes
from classbook.ext.words import direction, gettext

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)


class About(TypedDict):
    """The metadata every cartridge of the book carries (IEEE LOM)."""

    language: str
    licence: str
    licence_url: str
    authors: tuple[str, ...]
    version: str
    date: dt.date
    direction: Literal["ltr", "rtl"]
    publisher: str


#: The setting the web links are made from, named in every refusal.
SETTING = "html_baseurl"
#: The module of the whole book (its EPUB, PDFs and home page), first in the cartridge.
BOOK_MODULE = "book"


def key(text: str, fallback: str) -> str:
    """A module key of the cartridge (lower-case ASCII, digits, hyphens) made from ``text``."""
    made_key = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64].strip("-")
    return made_key or fallback


def questions(doctree: nodes.document) -> tuple[str, ...]:
    """A chapter's discussion questions as plain text, in order."""
    return tuple(
        item.astext().strip()
        for node in doctree.findall(cb_nodes.editorial)
        if node.get("kind") == "questions"
        for lst in node.children
        if isinstance(lst, (nodes.enumerated_list, nodes.bullet_list))
        for item in lst.children
    )


class CartridgeBuilder(Builder):
    """``<slug>.imscc`` (CC 1.3) and ``<slug>-cc11.imscc`` (CC 1.1) of the book, and both of
    each assignment in ``assignments/``: web links to the published site's pages, the
    handouts, packets, EPUB and book PDFs as files, the questions as discussion topics."""

    name = "cartridge"
    format = "cartridge"
    epilog = "The cartridges are in %(outdir)s."
    allow_parallel = False

    def init(self) -> None:
        self._asked: dict[str, tuple[str, ...]] = {}
        # Refused before any reading: a cartridge whose links lead nowhere is no use.
        try:
            self.base_url = cc.check_base_url(self.config.html_baseurl, SETTING)
        except cc.SiteURLError as error:
            raise ClassbookError(str(error)) from None

    def questions_of(self, docname: str) -> tuple[str, ...]:
        """A chapter's questions, its doctree read once (assignments share chapters)."""
        if docname not in self._asked:
            self._asked[docname] = questions(self.env.get_doctree(docname))
        return self._asked[docname]

    def get_outdated_docs(self) -> Iterable[str]:
        return []  # no page per document: finish() writes the cartridges from the saved env

    def get_target_uri(self, docname: str, typ: str | None = None) -> str:
        return f"{docname}.html"  # the web edition's page, which the web links point at

    def prepare_writing(self, docnames: AbstractSet[str]) -> None:
        pass

    def write_doc(self, docname: str, doctree: nodes.document) -> None:
        pass

    def finish(self) -> None:
        chapters = catalogue(self)  # type: ignore[arg-type]  # reads env and config only
        with progress_message("writing the book's cartridges"):
            book = self.book(chapters)
            if book is not None:
                self.write_package(book, self.config.classbook_slug, Path(self.outdir))
        self.write_assignments(chapters, Path(self.outdir, outputs.ASSIGNMENT_CARTRIDGES))

    def write_assignments(self, chapters: Sequence[Chapter], folder: Path) -> None:
        """Both cartridges of every valid assignment file into ``folder`` (the packets
        builder reports the files with mistakes)."""
        with progress_message("writing the assignments' cartridges"):
            for assignment in read_all(self.srcdir, self.config, chapters, report=False):
                made_one = self.assignment(assignment)
                if made_one is not None:
                    self.write_package(made_one, assignment.slug, folder)

    def write_package(self, cartridge: cc.Cartridge, name: str, folder: Path) -> list[Path]:
        """Write ``cartridge`` in every CC version into ``folder``; what the library refuses
        (an empty title, a link to a placeholder host) is one message naming the file."""
        written = []
        for suffix, version in outputs.CARTRIDGE_VERSIONS.items():
            target = folder / outputs.cartridge(name, suffix)
            try:
                written.append(
                    cc.write_cartridge(cartridge, target, base_url=self.base_url,
                                       profile=cc.PROFILES[version], setting=SETTING)
                )  # fmt: skip
            except ValueError as error:  # SiteURLError included
                raise ClassbookError(f"{target.name}: {error}") from None
        return written

    # -- What goes in ----------------------------------------------------------------------

    def files(self, wanted: Sequence[tuple[str, str, str]]) -> list[cc.File] | None:
        """``(title, output, name)`` as files of the package, once built; None if a PDF
        failed (the build says which) or a file is missing (a warning: -W fails)."""
        found = []
        for title, output, name in wanted:
            path = self.locate(output, name)
            if path is None:
                return None
            if not path.is_file():
                logger.warning(
                    "cartridge: %s is missing: build it first (make %s), then the cartridge",
                    path,
                    output,
                    type="classbook",
                    subtype="cartridge",
                )
                return None
            found.append(cc.File(title, path, name=key(Path(name).stem, "file") + path.suffix))
        return found

    def locate(self, output: str, name: str) -> Path | None:
        """Where the file ``name`` of ``output`` is once made (None: its PDF failed)."""
        return made(self._app, output, name)

    def about(self) -> About:
        """What every cartridge of the book says about it (LOM)."""
        config = self.config
        return About(
            language=config.language or "en",
            licence=config.classbook_license,
            licence_url=config.classbook_license_url,
            authors=(config.author,) if config.author else (),
            version=config.release or config.version,
            date=build_date().date(),
            direction="rtl" if direction(config.language) == "rtl" else "ltr",
            publisher=config.classbook_publisher,
        )

    def parts(self) -> dict[str, tuple[int, str]]:
        """Each document's part: the number and caption of the root's toctree holding it."""
        root = self.env.get_doctree(self.config.root_doc)
        found: dict[str, tuple[int, str]] = {}
        toctrees = [t for t in root.findall(addnodes.toctree) if t.get("caption")]
        for number, toctree in enumerate(toctrees, start=1):
            pending = list(toctree["includefiles"])
            while pending:
                doc = pending.pop(0)
                if doc not in found:
                    found[doc] = (number, toctree["caption"])
                    pending += self.env.toctree_includes.get(doc, [])
        return found

    def chapter(self, chapter: Chapter) -> cc.Module | None:
        """A chapter's module: its page, its handouts, its questions as a topic."""
        page = self.get_target_uri(chapter.docname)
        handouts = self.files(
            [
                (gettext("Handout, {paper}").format(paper=gettext(label)), outputs.HANDOUTS, name)
                for paper, label in outputs.PAPER_LABELS.items()
                if paper in self.config.classbook_paper_sizes
                for name in [outputs.handout(chapter.number, chapter.docname, paper)]
            ]
        )
        if handouts is None:
            return None
        items: list[cc.Item] = [cc.WebLink(chapter.title, page), *handouts]
        asked = self.questions_of(chapter.docname)
        if asked:
            title = gettext("Discussion: {title}").format(title=chapter.title)
            items.append(cc.Discussion(title, asked, page, chapter.title))
        return cc.Module(key(f"{chapter.number:02d}-{chapter.slug}", "chapter"), chapter.title,
                         tuple(items))  # fmt: skip

    def book(self, chapters: Sequence[Chapter]) -> cc.Cartridge | None:
        """The book's cartridge: the book's module, then the chapters in parts."""
        config = self.config
        slug = config.classbook_slug
        whole = self.files(
            [(gettext("EPUB (e-readers)"), outputs.EPUB, outputs.epub(config.epub_basename))]
            + [
                (gettext("Book PDF, {paper}").format(paper=gettext(label)), outputs.PDF, name)
                for paper, label in outputs.PAPER_LABELS.items()
                if paper in config.classbook_paper_sizes
                for name in [outputs.book_pdf(slug, paper)]
            ]
        )
        modules = [self.chapter(chapter) for chapter in chapters]
        if whole is None or any(module is None for module in modules):
            return None
        home = cc.WebLink(config.project, self.get_target_uri(config.root_doc))
        contents: list[cc.Part | cc.Module] = [
            cc.Module(BOOK_MODULE, config.project, (home, *whole))
        ]
        parts = self.parts()
        # The book's parts as folders, in the order their first chapter comes.
        grouped: dict[int, list[cc.Module]] = {}
        order: list[int | cc.Module] = []
        for chapter, module in zip(chapters, modules, strict=True):
            assert module is not None
            number = parts.get(chapter.docname, (0, ""))[0]
            if not number:
                order.append(module)  # a chapter outside any part: a module at the top
            elif number not in grouped:
                grouped[number] = [module]
                order.append(number)
            else:
                grouped[number].append(module)
        captions = {number: caption for number, caption in parts.values()}
        contents += [
            cc.Part(f"part-{entry}", captions[entry], tuple(grouped[entry]))
            if isinstance(entry, int)
            else entry
            for entry in order
        ]
        return cc.Cartridge(
            key=key(slug, "book"),
            title=config.project,
            description=config.html_title or config.project,
            contents=tuple(contents),
            **self.about(),
        )

    def assignment(self, assignment: Assignment) -> cc.Cartridge | None:
        """An assignment's cartridge: instructions, reading, packets, questions."""
        packets = self.files(
            [
                (gettext("Packet, {paper}").format(paper=gettext(outputs.PAPER_LABELS[paper])),
                 outputs.PACKETS, assignment.packet_name(paper))
                for paper in assignment.papers
            ]
        )  # fmt: skip
        if packets is None:
            return None
        reading = tuple(
            cc.WebLink(chapter.title, self.get_target_uri(chapter.docname))
            for chapter in assignment.chapters
        )
        asked = [
            (chapter, found)
            for chapter in assignment.chapters
            if assignment.questions and (found := self.questions_of(chapter.docname))
        ]
        # Written answers (answer space on the packet) are handed in: an essay quiz; else
        # the questions are for discussion, a topic per chapter.
        quiz = None
        discussions: tuple[cc.Discussion, ...] = ()
        if asked and assignment.answer_space:
            quiz = cc.EssayQuiz(
                gettext("Responses: {title}").format(title=assignment.title),
                tuple(q for _chapter, found in asked for q in found),
            )
        elif asked:
            discussions = tuple(
                cc.Discussion(
                    gettext("Discussion: {title}").format(title=chapter.title),
                    found,
                    self.get_target_uri(chapter.docname),
                    chapter.title,
                )
                for chapter, found in asked
            )
        return cc.assignment_cartridge(
            cc.Assignment(
                key=key(assignment.slug, "assignment"),
                title=assignment.title,
                course=assignment.course,
                instructions=render_markdown(assignment.instructions),
                due=assignment.due,
                due_label=gettext("Due:"),
                due_text=assignment.due_text,
                reading=reading,
                packet=tuple(packets),
                discussions=discussions,
                quiz=quiz,
                **self.about(),
            )
        )


class AssignmentCartridgeBuilder(CartridgeBuilder):
    """Only the assignments' cartridges, written beside their packets in the output folder
    (``python -m classbook packet --cartridge``, after the ``packets`` builder wrote there)."""

    name = "assignment-cartridges"
    epilog = "The assignments' cartridges are in %(outdir)s."

    def locate(self, output: str, name: str) -> Path | None:
        return (
            Path(self.outdir, name) if output == outputs.PACKETS else super().locate(output, name)
        )

    def finish(self) -> None:
        chapters = catalogue(self)  # type: ignore[arg-type]  # reads env and config only
        self.write_assignments(chapters, Path(self.outdir))


def setup(app: Sphinx) -> None:
    """Register the builders (from the extension: their imports are not every command's)."""
    app.add_builder(CartridgeBuilder)
    app.add_builder(AssignmentCartridgeBuilder)
