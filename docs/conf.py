"""The documentation site: MyST pages of docs/, built with the same Sphinx as the book."""

project = "Classbook documentation"
author = "Classbook Editions"
copyright = "2026, Classbook Editions"
extensions = ["myst_parser"]
exclude_patterns = ["_build"]
html_theme = "basic"
nitpicky = True
myst_heading_anchors = 3
# Links to the repository's files (../classbook/…) are not pages of this site.
myst_all_links_external = False
suppress_warnings: list[str] = []
