"""A tiny book in Arabic: right-to-left pages, an Arabic face and our words in Arabic."""

project = "كتاب صغير"
author = "محررو الاختبار"
copyright = "2026, محررو الاختبار"
version = release = "0.1"
language = "ar"
extensions = ["myst_parser", "classbook"]
exclude_patterns = ["_build", "_source"]
smartquotes = False
html_theme = "sphinx_book_theme"
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "use_download_button": False,
    "article_footer_items": ["classbook-downloads.html"],
    "navbar_persistent": [],
}
nitpicky = True
myst_enable_extensions = ["colon_fence"]
epub_identifier = "urn:uuid:00000000-0000-4000-8000-000000000002"
epub_uid = "bookid"
epub_theme = "classbook_epub"
epub_basename = "arabic"
epub_use_index = False
epub_exclude_files = ["search.html", ".buildinfo", ".buildinfo.bak"]
classbook_slug = "arabic"
classbook_publisher = "دار الاختبار"
classbook_subtitle = "مدينة وسوقها القديم"
classbook_license = "CC BY 4.0"
classbook_license_url = "https://creativecommons.org/licenses/by/4.0/"
classbook_source_document = "_source/arabic.txt"
