"""Render print HTML to PDF with WeasyPrint in one pool of workers: paths in, PDFs out; no Sphinx.

One job a module: :mod:`~classbook.render.jobs` (what a render is made of: re-exported
here), :mod:`~classbook.render.service` (the service a build submits to: queue, cache,
futures), :mod:`~classbook.render.pool` (the worker processes), :mod:`~classbook.render.worker`
(what a worker does: lay out, repair, number, merge), :mod:`~classbook.render.cache`,
:mod:`~classbook.render.fetcher`, :mod:`~classbook.render.pdfua`,
:mod:`~classbook.render.numbering`, :mod:`~classbook.render.merge`,
:mod:`~classbook.render.pagestarts` and :mod:`~classbook.render.streams`.
"""

from classbook.render.jobs import (
    PDF_VARIANT,
    Book,
    Job,
    Layout,
    Numbers,
    RenderError,
    Result,
)

__all__ = [
    "PDF_VARIANT",
    "Book",
    "Job",
    "Layout",
    "Numbers",
    "RenderError",
    "Result",
]
