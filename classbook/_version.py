"""The pipeline's version, named once (pyproject.toml reads it)."""

__version__ = "0.1.0"
