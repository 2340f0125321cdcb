"""The Sphinx extension proper: MyST markup, checks and data of a classroom book."""
