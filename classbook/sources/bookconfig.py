"""The TeX commands the book a chapter comes from defines for its formulas (Jupyter Book)."""

# A chapter of a Jupyter Book writes \liff or \R where the book's configuration defines them
# for MathJax, not in the chapter. new-book reads them from the nearest configuration above
# the document, so the new book's conf.py defines them too (classbook_math_macros):
#
# - Jupyter Book 1, _config.yml: sphinx.config.mathjax3_config.tex.macros (MathJax 3) or
#   sphinx.config.mathjax_config.TeX.Macros (MathJax 2); a value is the TeX, or
#   [TeX, number of arguments] (the number is implied by #1, #2 in the TeX).
# - Jupyter Book 2 and mystmd, myst.yml: project.math, "\name": TeX or {macro: TeX}.

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

#: How far above the document a book's configuration may be (a chapter in book/part/unit/).
LEVELS = 6
#: The configuration files, newest form first.
FILES = ("myst.yml", "_config.yml")
#: A command's name, as the setting takes it: letters.
_NAME = re.compile(r"\\?([A-Za-z]+)")


def macros_near(document: Path) -> tuple[dict[str, str], Path | None]:
    """The TeX commands of the book configuration nearest above ``document`` (name without
    the backslash -> TeX), and that file; none when there is no such file or it defines
    none. A file that cannot be read as YAML is passed over: it is not the document."""
    folder = document.resolve().parent
    for _ in range(LEVELS):
        for name in FILES:
            candidate = folder / name
            if candidate.is_file():
                try:
                    config = yaml.safe_load(candidate.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, yaml.YAMLError):
                    continue
                if found := _macros(config):
                    return found, candidate
        if (folder / ".git").exists() or folder.parent == folder:
            break
        folder = folder.parent
    return {}, None


def _macros(config: Any) -> dict[str, str]:
    sphinx = _at(config, "sphinx", "config")
    found = (
        _at(config, "project", "math")
        or _at(sphinx, "mathjax3_config", "tex", "macros")
        or _at(sphinx, "mathjax_config", "TeX", "Macros")
    )
    macros: dict[str, str] = {}
    for name, value in (found or {}).items():
        tex = value.get("macro") if isinstance(value, dict) else value
        tex = tex[0] if isinstance(tex, list) and tex else tex
        if (match := _NAME.fullmatch(str(name))) and isinstance(tex, str) and tex.strip():
            macros[match.group(1)] = tex
    return macros


def _at(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, dict) else None
