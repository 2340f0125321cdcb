"""convert_all: every distinct formula of a batch to MathML, speech and SVG, once, cached."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from classbook.formulas import font, nodebatch, svg, tex
from classbook.formulas import mathml as mathml_checks
from classbook.formulas.cache import FormulaCache
from classbook.formulas.model import Converted, Failed, Formula, Glyph, Result
from classbook.formulas.tools import SCRIPT, ensure_tools, pinned_versions

#: The spoken style: ClearSpeak ("the fraction with numerator ... and denominator ...") is
#: written for students; MathSpeak's "StartFraction" is for braille readers.
DOMAIN = "clearspeak"
STYLE = "default"


@dataclass(slots=True)
class Stats:
    """What a batch did: formulas looked at, conversions made per step, node processes
    started and seconds spent (a no-op build converts nothing and starts no process)."""

    formulas: int = 0
    mathml: int = 0
    speech: int = 0
    svg: int = 0
    node_runs: int = 0
    failed: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def convert_all(
    formulas: Iterable[Formula],
    cache_dir: Path,
    *,
    locale: str = "en",
    scale: float = svg.MATH_SCALE,
    stats: Stats | None = None,
    macros: Mapping[str, str] | None = None,
) -> dict[Formula, Result]:
    """Each distinct formula of ``formulas`` converted (or failed), from ``cache_dir`` when
    it holds the entry, else in this batch: TeX -> MathML with temml and MathML -> speech with
    speech-rule-engine (``locale``) in one node process, SVG with ziamath in this process
    meanwhile. ``scale``: the math font's em per em of the text (STIX Two on Noto Serif).
    ``macros``: the book's own commands, name (``R`` or ``\\R``) -> TeX with #1, #2 for
    its arguments (``classbook_math_macros``); every formula is converted with them."""
    started = time.perf_counter()
    stats = stats if stats is not None else Stats()
    commands = {"\\" + name.lstrip("\\"): tex for name, tex in sorted((macros or {}).items())}
    batch = _Batch(FormulaCache(cache_dir), locale, scale, stats, commands)
    unique = list(dict.fromkeys(formulas))
    stats.formulas = len(unique)
    results = batch.run(unique)
    stats.failed = sum(isinstance(r, Failed) for r in results.values())
    stats.seconds["total"] = time.perf_counter() - started
    return results


def _code(*files: Path) -> str:
    return "|".join(hashlib.sha256(f.read_bytes()).hexdigest()[:16] for f in files)


def _versions(locale: str, scale: float, macros: Mapping[str, str]) -> dict[str, str]:
    """What each step's output depends on besides the formula: the tools' versions, our code
    for the step, the book's commands, and the step before it (speech and SVG are made from
    the MathML)."""
    pins = pinned_versions()
    here = Path(__file__).parent
    commands = json.dumps(macros, sort_keys=True) if macros else ""
    mathml = "|".join(
        [f"temml-{pins['temml']}", _code(SCRIPT, here / "tex.py", here / "mathml.py"), commands]
    )
    speech = "|".join(
        [f"speech-rule-engine-{pins['speech-rule-engine']}", locale, DOMAIN, STYLE, mathml]
    )
    drawing = "|".join(
        [svg.versions(), _code(here / "svg.py", here / "font.py"), f"scale={scale!r}", mathml]
    )
    return {"mathml": mathml, "speech": speech, "svg": drawing}


class _Batch:
    """One call of convert_all: cache lookups, one node run for the misses, SVGs drawn while
    node speaks, every new entry stored."""

    def __init__(
        self,
        cache: FormulaCache,
        locale: str,
        scale: float,
        stats: Stats,
        macros: Mapping[str, str],
    ) -> None:
        self.cache, self.locale, self.scale, self.stats = cache, locale, scale, stats
        self.macros = macros
        self.versions = _versions(locale, scale, macros)
        self.keys: dict[tuple[Formula, str], str] = {}
        self.entries: dict[tuple[Formula, str], dict] = {}

    def key(self, formula: Formula, step: str) -> str:
        if (formula, step) not in self.keys:
            mode = "display" if formula.display else "inline"
            self.keys[formula, step] = FormulaCache.key(
                step, self.versions[step], mode, formula.tex
            )
        return self.keys[formula, step]

    def store(self, formula: Formula, step: str, entry: dict) -> None:
        self.entries[formula, step] = entry
        self.cache.put(step, self.key(formula, step), entry)
        setattr(self.stats, step, getattr(self.stats, step) + 1)

    def run(self, unique: list[Formula]) -> dict[Formula, Result]:
        t = time.perf_counter()
        todo = [f for f in unique if f.tex.strip()]
        for formula in todo:
            for step in ("mathml", "speech", "svg"):
                found = self.cache.get(step, self.key(formula, step))
                if found is not None:
                    self.entries[formula, step] = found
        self.stats.seconds["lookup"] = time.perf_counter() - t
        missing = {
            step: [f for f in todo if (f, step) not in self.entries]
            for step in ("mathml", "speech", "svg")
        }
        if missing["mathml"] or any(self.mathml(f) for f in missing["speech"]):
            self.convert(missing["mathml"], missing["speech"], missing["svg"])
        elif missing["svg"]:
            self.draw(missing["svg"])
        return {f: self.result(f) for f in unique}

    def mathml(self, formula: Formula) -> str | None:
        entry = self.entries.get((formula, "mathml"))
        return entry.get("ok") if entry else None

    def convert(
        self, need_mathml: list[Formula], need_speech: list[Formula], need_svg: list[Formula]
    ) -> None:
        """One node run: temml for ``need_mathml``, speech for ``need_speech``; the SVGs are
        drawn in this process between temml's answers and SRE's."""
        t = time.perf_counter()
        tools = ensure_tools()
        self.stats.seconds["tools"] = time.perf_counter() - t
        ids = {f"f{i}": f for i, f in enumerate(dict.fromkeys([*need_mathml, *need_speech]))}
        by_formula = {f: key for key, f in ids.items()}
        speaking = set(need_speech)
        normalised = {f: tex.normalise(f.tex) for f in need_mathml}
        items = [
            nodebatch.TexItem(by_formula[f], normalised[f][0], f.display, f in speaking)
            for f in need_mathml
        ]
        asked = set(need_mathml)
        speak = {
            by_formula[f]: text
            for f in need_speech
            if f not in asked and (text := self.mathml(f)) is not None
        }

        def on_mathml(answers: dict[str, nodebatch.Outcome]) -> None:
            self.stats.seconds["mathml"] = time.perf_counter() - t
            for key, answer in answers.items():
                formula = ids[key]
                if answer.text is None:
                    message = tex.parse_error_message(
                        answer.error_name, answer.error, normalised[formula][1]
                    )
                    self.store(formula, "mathml", {"error": message})
                elif problem := mathml_checks.problem(answer.text):
                    self.store(formula, "mathml", {"error": problem})
                else:
                    self.store(formula, "mathml", {"ok": answer.text})
            self.draw(need_svg)

        _, speech = nodebatch.run(
            tools,
            items,
            speak,
            {"locale": self.locale, "domain": DOMAIN, "style": STYLE},
            on_mathml,
            timeout=60 + 0.2 * (len(items) + len(speak)),
            macros=self.macros,
        )
        self.stats.node_runs += 1
        for key, answer in speech.items():
            spoken = " ".join((answer.text or "").split())
            if answer.text is None:
                entry = {"error": f"speech-rule-engine cannot speak it ({answer.error})"}
            elif not spoken:
                entry = {"error": "speech-rule-engine found nothing to speak in it"}
            else:
                entry = {"ok": spoken}
            self.store(ids[key], "speech", entry)
        self.stats.seconds["node"] = time.perf_counter() - t

    def draw(self, need_svg: list[Formula]) -> None:
        t = time.perf_counter()
        for formula in need_svg:
            source = self.mathml(formula)
            if source is None:
                continue  # no MathML: the formula fails on that, nothing to draw
            try:
                drawing = svg.draw(source, formula.display, scale=self.scale)
            except svg.DrawingError as err:
                self.store(formula, "svg", {"error": str(err)})
                continue
            entry = {
                "svg": drawing.svg,
                "width_em": drawing.width_em,
                "height_em": drawing.height_em,
                "depth_em": drawing.depth_em,
                "glyph": _glyph_json(font.glyph(drawing.svg)),
            }
            self.store(formula, "svg", {"ok": entry})
        self.stats.seconds["svg"] = time.perf_counter() - t

    def result(self, formula: Formula) -> Result:
        if not formula.tex.strip():
            return Failed("the formula is empty")
        steps = {
            step: self.entries.get((formula, step), {"error": "not converted"})
            for step in ("mathml", "speech", "svg")
        }
        if "error" in steps["mathml"]:
            return Failed(steps["mathml"]["error"])
        if "error" in steps["svg"]:
            return Failed(f"the print drawing failed: {steps['svg']['error']}")
        if "error" in steps["speech"]:
            return Failed(f"no spoken text: {steps['speech']['error']}")
        drawing, speech = steps["svg"]["ok"], steps["speech"]["ok"]
        return Converted(
            mathml=steps["mathml"]["ok"],
            speech=speech,
            svg=svg.with_title(drawing["svg"], speech),
            width_em=drawing["width_em"],
            height_em=drawing["height_em"],
            depth_em=drawing["depth_em"],
            glyph=_glyph_from_json(drawing.get("glyph")),
        )


def _glyph_json(glyph: Glyph | None) -> dict | None:
    if glyph is None:
        return None
    return {
        "data": base64.b64encode(glyph.data).decode("ascii"),
        "advance": glyph.advance,
        "box": list(glyph.box),
        "points": glyph.points,
        "contours": glyph.contours,
        "line_height_em": glyph.line_height_em,
        "raise_em": glyph.raise_em,
    }


def _glyph_from_json(data: dict | None) -> Glyph | None:
    if not data:
        return None
    x_min, y_min, x_max, y_max = data["box"]
    return Glyph(
        base64.b64decode(data["data"]),
        data["advance"],
        (x_min, y_min, x_max, y_max),
        data["points"],
        data["contours"],
        data["line_height_em"],
        data["raise_em"],
    )
