"""Conformance: every KaTeX screenshotter expression converts or is reported with a message."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from classbook.formulas import Converted, Failed, Formula, convert_all

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
#: Shared with later runs (like the render cache): a rerun converts nothing. The entries are
#: keyed by the tools' versions and our code, so a change converts again.
CACHE = ROOT / "_build" / ".cache" / "formulas-corpus"
#: The share that converts today (tests/math/README.md): a fall says something broke.
MIN_CONVERTED = 97 / 126


def corpus() -> dict[str, Formula]:
    """The cases of KaTeX's ss_data.yaml by name: a string is the TeX, a mapping has ``tex``
    and maybe ``display`` (the other keys are for KaTeX's screenshots)."""
    data = yaml.safe_load((HERE / "katex_ss_data.yaml").read_text(encoding="utf-8"))
    cases = {}
    for name, value in data.items():
        item = value if isinstance(value, dict) else {"tex": value}
        cases[name] = Formula(str(item["tex"]).strip(), bool(item.get("display")))
    return cases


@pytest.fixture(scope="session")
def corpus_results() -> dict[str, Converted | Failed]:
    """The whole corpus in one batch, once per session."""
    cases = corpus()
    results = convert_all(cases.values(), CACHE)
    return {name: results[formula] for name, formula in cases.items()}


def test_the_corpus_is_katexs_file() -> None:
    assert len(corpus()) == 126


def test_every_expression_converts_or_is_reported(
    corpus_results: dict[str, Converted | Failed],
) -> None:
    for name, result in corpus_results.items():
        if isinstance(result, Failed):
            assert result.message.strip(), name
            assert "\n" not in result.message, name
            continue
        math = ET.fromstring(result.mathml)
        assert math.tag == "{http://www.w3.org/1998/Math/MathML}math", name
        drawing = ET.fromstring(result.svg)
        assert drawing.tag == "{http://www.w3.org/2000/svg}svg", name
        assert len(drawing.get("viewBox", "").split()) == 4, name
        assert result.speech.strip(), name
        assert drawing.findtext("{http://www.w3.org/2000/svg}title") == result.speech, name


def test_the_share_converted_holds(corpus_results: dict[str, Converted | Failed]) -> None:
    converted = sum(isinstance(r, Converted) for r in corpus_results.values())
    assert converted / len(corpus_results) >= MIN_CONVERTED, {
        name: r.message for name, r in corpus_results.items() if isinstance(r, Failed)
    }


def test_katexs_deliberate_errors_are_reported(
    corpus_results: dict[str, Converted | Failed],
) -> None:
    # "UnsupportedCmds" is KaTeX's own test of unknown commands (rendered in red there).
    result = corpus_results["UnsupportedCmds"]
    assert isinstance(result, Failed)
    assert re.fullmatch(r"unknown command \\err at position 1", result.message)
