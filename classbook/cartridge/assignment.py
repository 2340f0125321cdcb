"""An assignment's cartridge: one module with its instructions, reading, packet and questions."""

from __future__ import annotations

from classbook.cartridge import html
from classbook.cartridge.model import Assignment, Cartridge, Item, Module, Page


def instructions_body(assignment: Assignment) -> str:
    """The instructions page's content: the course, the due date, then the instructions."""
    block = html.element("div")
    if assignment.course:
        block.append(html.element("p", assignment.course))
    if assignment.due:
        label = html.element("strong", assignment.due_label)
        label.tail = " "
        when = assignment.due_text or assignment.due.isoformat()
        due = html.element("time", when, datetime=assignment.due.isoformat())
        block.append(html.element("p", "", label, due))
    # Relative links stay relative here: the page is made absolute when it is packaged.
    block.extend(html.fragment(assignment.instructions))
    return html.serialise(block)


def assignment_cartridge(assignment: Assignment) -> Cartridge:
    """The cartridge of ``assignment``: a single module holding, in order, the instructions
    (a page the LMS may import as the assignment), the reading as web links, the packet
    PDFs, the discussion topics and the essay quiz."""
    page = Page(
        assignment.instructions_title or assignment.title,
        instructions_body(assignment),
        name="instructions.html",
        intended_use="assignment",
    )
    items: list[Item] = [page, *assignment.reading, *assignment.packet, *assignment.discussions]
    if assignment.quiz:
        items.append(assignment.quiz)
    due = f" ({assignment.due.isoformat()})" if assignment.due else ""
    return Cartridge(
        key=assignment.key,
        title=assignment.title,
        language=assignment.language,
        licence=assignment.licence,
        licence_url=assignment.licence_url,
        authors=assignment.authors,
        version=assignment.version,
        date=assignment.date,
        description=f"{assignment.course}{due}".strip(),
        contents=(Module(assignment.key, assignment.title, tuple(items)),),
        direction=assignment.direction,
        publisher=assignment.publisher,
    )
