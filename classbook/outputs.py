"""The outputs a build publishes, the builders that write them and their files, named once."""

from __future__ import annotations

#: The published outputs, in build order; each is published as ``_build/<output>/``.
EPUB, PDF, HANDOUTS, PACKETS, HTML = "epub", "pdf", "handouts", "packets", "html"
CARTRIDGE = "cartridge"
OUTPUTS = (EPUB, PDF, HANDOUTS, PACKETS, CARTRIDGE, HTML)
#: What an output needs built (and published) with it: the site publishes the others as
#: downloads; the EPUB and the handouts carry the book PDF's page numbers; the cartridge
#: carries the EPUB, the PDFs, the handouts and the packets.
NEEDS = {
    HTML: (EPUB, PDF, HANDOUTS, PACKETS, CARTRIDGE),
    EPUB: (PDF,),
    HANDOUTS: (PDF,),
    CARTRIDGE: (EPUB, PDF, HANDOUTS, PACKETS),
}
#: Outputs built only where the site's real address is known (classbook.urls.site_address):
#: the cartridge is links to the site's pages.
NEED_ADDRESS = (CARTRIDGE,)
#: The Sphinx builder that writes each output.
BUILDERS = {
    EPUB: "epub",
    PDF: "bookpdf",
    HANDOUTS: "handouts",
    PACKETS: "packets",
    CARTRIDGE: "cartridge",
    HTML: "html",
}
#: CSS page sizes by the paper names used in configuration and file names.
PAPER_SIZES = {"a4": "A4", "letter": "letter"}
#: How readers and teachers name the same papers.
PAPER_LABELS = {"a4": "A4", "letter": "US Letter"}
#: The editions: the teacher edition is a parse of its own (Sphinx tag ``teacher``).
STUDENT, TEACHER = "student", "teacher"


def output_of(builder: str) -> str:
    """The output a builder writes (``bookpdf`` -> ``pdf``); its own name for others."""
    return next((output for output, name in BUILDERS.items() if name == builder), builder)


def book_pdf(slug: str, paper: str, edition: str = STUDENT) -> str:
    """``homs-massacre-a4.pdf``, ``homs-massacre-teacher-letter.pdf``."""
    return f"{slug}{'-teacher' if edition == TEACHER else ''}-{paper}.pdf"


def handout(number: int, docname: str, paper: str) -> str:
    """``03-events-leading-a4.pdf`` for chapter 3, ``chapters/03-events-leading``."""
    stem = docname.rsplit("/", 1)[-1]
    slug = stem.split("-", 1)[1] if stem[:2].isdigit() and "-" in stem else stem
    return f"{number:02d}-{slug}-{paper}.pdf"


def packet(name: str, paper: str) -> str:
    """``week-1-a4.pdf``: the packet of assignment file ``week-1.yml`` on ``paper``."""
    return f"{name}-{paper}.pdf"


def epub(basename: str) -> str:
    """``homs-massacre.epub``."""
    return f"{basename}.epub"


#: The cartridges' CC versions, by the suffix of their file names (the first is the default).
CARTRIDGE_VERSIONS = {"": "1.3", "-cc11": "1.1"}
#: Folder of the assignments' cartridges inside the cartridge output.
ASSIGNMENT_CARTRIDGES = "assignments"


def cartridge(name: str, suffix: str = "") -> str:
    """``homs-massacre.imscc`` (CC 1.3), ``week-1-cc11.imscc`` (CC 1.1): the cartridge of the
    book (its slug) or of an assignment (its file's name)."""
    return f"{name}{suffix}.imscc"


def label(output: str, filename: str) -> str:
    """How a build names one file of an output in its progress lines and to its render
    service: ``pdf/homs-massacre-a4.pdf``."""
    return f"{output}/{filename}"
