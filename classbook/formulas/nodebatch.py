"""One node process per batch: TeX -> MathML with temml, then MathML -> speech with SRE."""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from classbook.formulas.tools import Tools

#: A young-generation heap this size cut speech-rule-engine's time per formula by a third
#: (its XPath polyfill allocates much; measured 5.5 -> 3.5 ms per formula).
NODE_FLAGS = ("--max-semi-space-size=64",)


@dataclass(frozen=True, slots=True)
class TexItem:
    """A formula to convert: ``key`` names it in the answers; ``speak`` asks for its speech."""

    key: str
    tex: str
    display: bool
    speak: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """temml's or SRE's answer for one item: the text, or the error's name and message."""

    text: str | None
    error_name: str = ""
    error: str = ""


class BatchError(RuntimeError):
    """The node process itself failed (not one formula): the message is one line."""


def run(
    tools: Tools,
    items: Sequence[TexItem],
    speak: Mapping[str, str],
    speech_options: Mapping[str, str],
    on_mathml: Callable[[dict[str, Outcome]], None],
    *,
    timeout: float,
    compile_xpath: bool = True,
    macros: Mapping[str, str] | None = None,
) -> tuple[dict[str, Outcome], dict[str, Outcome]]:
    """Convert ``items`` and speak their MathML and the MathML in ``speak`` (key -> MathML).

    ``on_mathml`` gets temml's answers as soon as they arrive and runs while node speaks (the
    print SVGs are drawn there: the two use the machine's two cores). Returns the MathML
    answers and the speech answers, by key. ``compile_xpath=False``: speech-rule-engine's
    XPath as shipped (mathtool.mjs compiles each expression once; the tests compare both).
    ``macros``: the book's own commands for temml (``\\name`` -> TeX with #1, #2).
    """
    request = {
        "items": [
            {"id": i.key, "tex": i.tex, "display": i.display, "speak": i.speak} for i in items
        ],
        "speak": [{"id": key, "mathml": mathml} for key, mathml in speak.items()],
        "speech": dict(speech_options),
        "xpathCache": compile_xpath,
        "macros": dict(macros or {}),
    }
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(
            [tools.node, *NODE_FLAGS, str(tools.script), str(tools.modules)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
        ) as process,
    ):
        # A formula cannot hang temml (maxExpand) but a broken machine can hang node.
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        try:
            assert process.stdin is not None and process.stdout is not None
            # node reads the whole request before it writes: no deadlock writing it all first.
            process.stdin.write(json.dumps(request).encode("utf-8"))
            process.stdin.close()
            mathml = _answers(process.stdout.readline(), "mathml")
            on_mathml(mathml)
            speech = _answers(process.stdout.readline(), "speech")
            process.wait()
        except BatchError as err:
            process.kill()
            process.wait()
            if not watchdog.is_alive():
                raise BatchError(f"the formula tools took longer than {timeout:.0f} s") from err
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-1:]
            raise BatchError(f"{err}: {tail[0] if tail else 'no message'}") from err
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
        if process.returncode:
            raise BatchError(f"the formula tools exited with status {process.returncode}")
    return mathml, speech


def _answers(line: bytes, part: str) -> dict[str, Outcome]:
    try:
        data: Any = json.loads(line)[part]
    except (ValueError, KeyError, TypeError) as err:
        raise BatchError(f"the formula tools gave no {part} answers") from err
    return {
        key: Outcome(answer[part])
        if part in answer
        else Outcome(None, answer["error"]["name"], answer["error"]["message"])
        for key, answer in data.items()
    }
