"""A tiny book with formulas: inline, display, a labelled align, a reference, a note."""

project = "Math Book"
author = "Test Editors"
copyright = "2026, Test Editors"
version = release = "0.1"
language = "en"
extensions = ["myst_parser", "classbook"]
exclude_patterns = ["_build", "_source"]
smartquotes = False
html_theme = "sphinx_book_theme"
html_copy_source = False
html_show_sourcelink = False
html_context = {"default_mode": "auto"}
html_theme_options = {
    "use_download_button": False,
    "article_footer_items": ["classbook-downloads.html"],
    "navbar_persistent": [],
}
nitpicky = True
# dollarmath and amsmath are on in every book (classbook.ext.formulas): not named here.
myst_enable_extensions = ["colon_fence"]
epub_identifier = "urn:uuid:00000000-0000-4000-8000-000000000003"
epub_uid = "bookid"
epub_theme = "classbook_epub"
epub_basename = "math"
epub_use_index = False
epub_exclude_files = ["search.html", ".buildinfo", ".buildinfo.bak"]
classbook_slug = "math"
classbook_publisher = "Test Press"
classbook_license = "CC BY 4.0"
classbook_license_url = "https://creativecommons.org/licenses/by/4.0/"
classbook_source_document = "_source/math.txt"
