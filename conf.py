"""The one configuration of the book: metadata, extensions and every output's settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from classbook.urls import site_address

# The pipeline, `classbook`, is an installed package (requirements.txt installs this
# checkout): a Sphinx extension with its templates, themes and commands.

# -- Book metadata -------------------------------------------------------------
project = "The Homs Massacre, February 2012"
author = "Classbook editors (annotations); source text anonymous"
copyright = "2026, Classbook Editions"
version = release = "1.0"
language = "en"
# Where the site is published: set the address here once the book has a host of its own;
# until then, the GitHub Pages or Read the Docs address of the build, or none (no QR code or
# web address is printed, and no sitemap is made, rather than one that leads nowhere).
html_baseurl = site_address("")

extensions = [
    "myst_parser",
    "sphinxcontrib.bibtex",
    "classbook",
]

root_doc = "index"
exclude_patterns = ["_build", "_source", "_data", "Thumbs.db", ".DS_Store"]

# The teacher edition (`-t teacher`) adds the "For teachers" part and answer guidance;
# student outputs never parse them.
classbook_edition = "teacher" if tags.has("teacher") else "student"  # noqa: F821
if classbook_edition == "student":
    exclude_patterns.append("teachers")
# The source text must reach readers exactly as received: no curly-quote rewriting.
smartquotes = False
nitpicky = True

# -- MyST ----------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 2

# -- Citations -----------------------------------------------------------------
bibtex_bibfiles = ["book/_data/references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "label"

# -- Web site (sphinx-book-theme) ------------------------------------------------
# Sitemap, 404 page and Open Graph tags come from well-kept extensions; classbook/builders/web.py
# adds the generated cover, the landing page and the theme's accessibility fixes.
extensions += ["notfound.extension", "sphinxext.opengraph"]
if html_baseurl:
    extensions.append("sphinx_sitemap")
html_theme = "sphinx_book_theme"
html_title = "The Homs Massacre, February 2012"
html_last_updated_fmt = "%d %B %Y"
# The web edition never shows reStructuredText/MyST sources, except through a repository.
html_copy_source = False
html_show_sourcelink = False
# Set to the book's public repository (e.g. "https://github.com/org/book") to add
# the repository, source and "suggest edit" buttons; empty: no such buttons.
classbook_repository_url = ""
html_theme_options = {
    "show_toc_level": 1,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "article_footer_items": ["classbook-downloads.html"],
    # pydata-sphinx-theme 0.20 adds a header search field that sphinx-book-theme 1.4
    # does not expect: the sidebar (wide screens) and the article header (phones) have one.
    "navbar_persistent": [],
}
# Light or dark as the reader's system says, until they choose with the header's toggle.
html_context = {"default_mode": "auto"}
if classbook_repository_url:
    html_theme_options |= {
        "repository_url": classbook_repository_url,
        "repository_branch": "main",
        "path_to_docs": "book",
        "use_repository_button": True,
        "use_source_button": True,
        "use_edit_page_button": True,
    }
# The site's address: the sitemap, the 404 page's links and Open Graph all follow it.
sitemap_url_scheme = "{link}"
sitemap_excludes = ["search.html", "genindex.html", "404.html"]
notfound_urls_prefix = urlsplit(html_baseurl).path
ogp_site_url = html_baseurl
ogp_image = "_static/classbook-cover.png"  # made by classbook/builders/web.py at build time
ogp_image_alt = f"Cover of {project}"
ogp_social_cards = {"enable": False}

# -- EPUB (Sphinx's EPUB 3 builder, with its own EPUB theme) ---------------------
epub_title = project
epub_author = "Classbook editors"
epub_publisher = "Classbook Editions"
epub_copyright = copyright
epub_identifier = "urn:uuid:8f1c2f4e-2a57-4c1e-9a8e-5b0d3c6a1f20"
epub_scheme = "uuid"
epub_uid = "bookid"
epub_theme = "classbook_epub"
epub_show_urls = "footnote"
# Sphinx keeps the previous .buildinfo as .buildinfo.bak when the configuration changes.
epub_exclude_files = ["search.html", ".buildinfo", ".buildinfo.bak"]
epub_basename = "homs-massacre"
epub_use_index = False
# The cover is drawn from the title at build time (classbook/builders/web.py), as for the web site.
epub_cover = ("_static/classbook-cover.png", "epub-cover.html")

# -- Classbook (the local pipeline) ---------------------------------------------
classbook_slug = "homs-massacre"
classbook_publisher = "Classbook Editions"
classbook_subtitle = "A source text with editor's notes, for the classroom"
classbook_description = (
    "A short anonymous account of the February 2012 killings in Homs, Syria, reproduced "
    "verbatim and annotated against the public record for students."
)
classbook_license = "CC BY-NC-SA 4.0"
classbook_license_url = "https://creativecommons.org/licenses/by-nc-sa/4.0/"
classbook_content_note_doc = "front/content-note"
classbook_source_document = "_source/homs-massacre.txt"
# The source document as the fact-check markup (schema.org ClaimReview) names it.
classbook_source_title = "The Homs Massacre (anonymous text, as received)"
classbook_paper_sizes = ["a4", "letter"]
classbook_print_theme = "print"
classbook_render_timeout = 300
# The book PDF is laid out in parts of about this many words, side by side on every core;
# its page numbers have this many digits (0: from the book's length).
classbook_pdf_part_words = 6000
classbook_pdf_page_digits = 0

# The EPUB's dc:description and dc:contributor (Sphinx writes "unknown" otherwise).
epub_description = classbook_description
epub_contributor = "Classbook editors"
