"""A tiny book that exercises every directive, for fast tests."""

project = "Mini Book"
author = "Test Editors"
copyright = "2026, Test Editors"
version = release = "0.1"
language = "en"
html_baseurl = "https://example.org/mini/"
extensions = ["myst_parser", "sphinxcontrib.bibtex", "classbook"]
exclude_patterns = ["_build", "_source", "_data"]
smartquotes = False
nitpicky = True
myst_enable_extensions = ["colon_fence"]
bibtex_bibfiles = ["_data/refs.bib"]
bibtex_reference_style = "author_year"
epub_identifier = "urn:uuid:00000000-0000-4000-8000-000000000001"
epub_uid = "bookid"
epub_theme = "classbook_epub"
epub_basename = "mini"
epub_use_index = False
epub_exclude_files = ["search.html", ".buildinfo", ".buildinfo.bak"]
classbook_slug = "mini"
classbook_publisher = "Test Press"
classbook_license = "CC BY 4.0"
classbook_license_url = "https://creativecommons.org/licenses/by/4.0/"
classbook_source_document = "_source/mini.txt"
classbook_content_note_doc = "note"
classbook_pdf_part_words = 1  # each document is a part of its own: the merge is exercised
