"""``classbook new-book``: a source document in, a complete book project out."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jinja2

from classbook._version import __version__
from classbook.cli import report, say
from classbook.sources.document import Block, Document, Section, SourceError, slugify
from classbook.sources.myst import (
    FORMULA,
    as_written,
    display_formulas,
    formulas_as_one,
    units,
)
from classbook.sources.reader import read
from classbook.sources.text import escape
from classbook.sources.units import LEFT_OUT, compare, document_units, fold

SKELETON = Path(__file__).parent / "skeleton"
#: Skeleton files and folders that are hidden (a leading dot) in the book.
HIDDEN = frozenset({"ci", "github", "gitignore", "readthedocs.yaml"})
#: Words of a heading kept in its chapter's file name.
FILE_NAME_WORDS = 5


def requirement(pipeline: Path | None = None) -> str:
    """How a new book names this pipeline in its requirements: the checkout ``pipeline``
    (for developing the pipeline itself); else, when this pipeline runs from a git checkout
    with a remote, that remote at this commit; else the released version."""
    if pipeline is not None:
        return f"classbook @ {pipeline.resolve().as_uri()}"
    checkout = Path(__file__).resolve().parents[2]
    remote, commit = (
        _git(checkout, "remote", "get-url", "origin"),
        _git(checkout, "rev-parse", "HEAD"),
    )
    if remote and commit and (checkout / "pyproject.toml").is_file():
        return f"classbook @ git+{_pip_url(remote)}@{commit}"
    return f"classbook=={__version__}"


def _pip_url(remote: str) -> str:
    """A git remote as pip reads it: a folder as ``file://``, ``git@host:path`` as ssh."""
    if "://" in remote:
        return remote
    if (scp := re.match(r"^([\w.-]+@[\w.-]+):(.+)$", remote)) is not None:
        return f"ssh://{scp.group(1)}/{scp.group(2)}"
    return Path(remote).resolve().as_uri()


def _git(folder: Path, *args: str) -> str:
    """What ``git <args>`` says in ``folder`` ("" outside a repository or on an error)."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _fence(markdown: str) -> str:
    # Longer than any colon fence inside, so the source's own fences stay inside the block.
    runs = [len(m.group(1)) for m in re.finditer(r"^\s*(:{3,})", markdown, re.MULTILINE)]
    return ":" * max([3, *(n + 1 for n in runs)])


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def chapter_markdown(section: Section, title: str, media_prefix: str, number: int) -> str:
    """A chapter that mirrors ``section`` (the ``number``-th of the document): front matter,
    heading, the text in source blocks."""
    lines = ["---", f"source_heading: {_quote(section.heading)}", f"source_section: {number}"]
    if section.group:
        lines.append(f"source_group: {_quote(section.group)}")
    lines += ["---", "", *[f"({target})=" for target in section.targets], f"# {title}", ""]
    lines += _body(section, media_prefix)
    return "\n".join(lines)


def _directive(body: str, layout: str) -> list[str]:
    """A source-text block holding ``body``; a layout other than paragraphs as an option
    (in YAML form when the text itself starts like an option line)."""
    fence = _fence(body)
    options: list[str] = []
    if layout != "paragraphs" or body.startswith((":", "---")):
        yaml_form = body.startswith(":")
        options = ["---", f"layout: {layout}", "---"] if yaml_form else [f":layout: {layout}"]
    return [f"{fence}{{source-text}}", *options, body, fence, ""]


def _block(block: Block, media_prefix: str) -> list[str]:
    body = re.sub(r"\]\((<?)media/", rf"](\1{media_prefix}media/", block.markdown)
    body = re.sub(r"(image:: )media/", rf"\1{media_prefix}media/", body)  # a grid table's
    body = re.sub(r"(\{(?:figure|image)\}[ \t]+)media/", rf"\1{media_prefix}media/", body)
    if block.kind in {"note", "definitions"}:
        return [body, ""]
    if block.kind == "teacher":  # kept out of the student edition, and of its source text
        fence = _fence(body)
        return [f"{fence}{{teacher-only}}", body, fence, ""]
    return _directive(body, block.layout)


def _body(section: Section, media_prefix: str) -> list[str]:
    """The section's sub-headings as headings, its text in ``source-text`` blocks, new-book's
    notes and the document's rules between them."""
    items: list[tuple[str, list[str]]] = []
    depth = 1  # the chapter's own heading; a sub-heading is at most one level deeper
    for block in section.blocks:
        if block.level:
            depth = min(block.level, depth + 1)
            labels = [f"({target})=" for target in block.targets]
            items.append(("heading", [*labels, "#" * depth + block.markdown.lstrip("#"), ""]))
        elif block.kind == "rule":
            items.append(("rule", ["---", ""]))
        else:
            items.append((block.kind, _block(block, media_prefix)))
    lines: list[str] = []
    for index, (kind, text) in enumerate(items):
        # A rule stands between two blocks of a section, never first, last or doubled
        # (docutils refuses a transition anywhere else).
        before = next((k for k, _ in reversed(items[:index]) if k != "rule"), "heading")
        after = next((k for k, _ in items[index + 1 :]), "heading")
        if kind != "rule" or (
            before not in {"heading", "definitions"}
            and after not in {"heading", "rule", "definitions"}
        ):
            lines += text
    return lines


def _chapters(document: Document, title: str) -> list[tuple[str, Section, str, int]]:
    """(file stem, section, printed title, position in the document) of each chapter."""
    sections = list(enumerate(document.sections, start=1))
    if len(sections) > 1 and not sections[0][1].heading:
        sections = sections[1:]  # the opening: the book's front page
    width = max(2, len(str(len(sections))))
    chapters = []
    for number, (position, section) in enumerate(sections, start=1):
        name = section.heading or section.title or title
        printed = section.markdown or (escape(section.heading) if section.heading else name)
        stem = slugify(" ".join(name.split()[:FILE_NAME_WORDS]), "chapter")
        chapters.append((f"{number:0{width}d}-{stem}", section, printed, position))
    return chapters


def _description(abstract: str, limit: int = 300) -> str:
    text = " ".join(abstract.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(". ", 1)[0]
    return cut + ("." if len(cut) < limit else "…")


def plan(document: Document, options: dict[str, str]) -> dict[str, str | bytes]:
    """Every file of the new project (path relative to it → content)."""
    title = options.get("title") or document.title or document.path.stem
    slug = options.get("slug") or slugify(title, slugify(document.path.stem))
    author = options.get("author") or document.author or "Unknown author"
    year = datetime.date.today().year
    source_file = f"{slug}{document.path.suffix.lower()}"
    values: dict[str, Any] = {
        "title": title,
        "subtitle": document.metadata.get("subtitle", ""),
        # The abstract, or its first sentences: the description search engines show.
        "description": _description(document.metadata.get("abstract", "")),
        "author": author,
        "copyright": f"{year}, {author}",
        "language": options.get("language") or "en",
        "license": options.get("license") or "",
        "url": options.get("url") or "",
        "slug": slug,
        "source_name": document.path.name,
        "source_file": source_file,
        "source_document": f"_source/{source_file}",
        "identifier": f"urn:uuid:{uuid.uuid4()}",
        "requirement": requirement(Path(p) if (p := options.get("pipeline")) else None),
        "math_macros": document.macros,
    }
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(SKELETON),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Python, Make and Markdown, not HTML
    )
    env.filters["pyrepr"] = repr
    files: dict[str, str | bytes] = {}
    for template in SKELETON.rglob("*"):
        if template.is_file():
            name = template.relative_to(SKELETON).as_posix()
            # Hidden in the book (.ci/, .github/, .gitignore, .readthedocs.yaml), not in the
            # package: a wheel leaves out files whose names start with a dot.
            top = name.split("/", 1)[0]
            target = f".{name}" if top in HIDDEN else name
            if name.endswith(".jinja"):
                files[target.removesuffix(".jinja")] = env.get_template(name).render(values)
            else:
                files[target] = template.read_text(encoding="utf-8")
    files[f"book/_source/{source_file}"] = document.path.read_bytes()
    files["book/assignments/.gitkeep"] = ""
    for name, data in document.media.items():
        files[f"book/{name}"] = data
    for image in document.images:  # a Markdown document's images, from its folder
        if image.path is not None and image.written:
            files[f"book/{image.written}"] = image.path.read_bytes()

    chapters = _chapters(document, title)
    opening = document.sections[0]
    index = []
    if chapters[0][3] != 1:
        index += ["---", 'source_heading: ""', "source_section: 1", "---", "", f"# {title}", ""]
        index += _body(opening, "")
    else:
        index += [f"# {title}", ""]
    depth = 2 if any(b.level for s in document.sections for b in s.blocks) else 1
    index += [":::{toctree}", f":maxdepth: {depth}", ""]
    index += [f"chapters/{stem}" for stem, _, _, _ in chapters]
    index += [":::", ""]
    files["book/index.md"] = "\n".join(index)
    for stem, section, heading, position in chapters:
        files[f"book/chapters/{stem}.md"] = chapter_markdown(section, heading, "../", position)
    return files


def new_book(source: Path, dest: Path, options: dict[str, str]) -> Document:
    """Write a book project for ``source`` at ``dest`` (which must not exist)."""
    if dest.exists():
        raise SourceError(dest, "already exists; give a new folder for the book")
    document = read(source)
    files = plan(document, options)
    # Written beside DEST and renamed into place: a failure leaves no half-made book.
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        for name, content in sorted(files.items()):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        (staging / ".ci" / "run").chmod(0o755)
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return document


def new_book_command(args: argparse.Namespace) -> int:
    """Make the book; one line per decision or problem, then a summary."""
    options = {
        key: value
        for key in ("title", "author", "language", "license", "slug", "url", "pipeline")
        if (value := getattr(args, key))
    }
    try:
        document = new_book(args.source, args.dest, options)
    except (SourceError, OSError) as error:
        say(f"{error}")
        return 1
    except Exception as error:  # a reader's own fault: one line, not a traceback
        if os.environ.get("CLASSBOOK_DEBUG"):
            raise
        say(
            f"{args.source}: new-book failed on this document ({type(error).__name__}: "
            f"{error}); nothing was written. This is the pipeline's fault: please report it "
            "with the document (CLASSBOOK_DEBUG=1 shows the details)"
        )
        return 1
    for guess in document.guesses:
        report(f"{args.source}:{guess.line}: {guess.decision}: {guess.text[:60]!r}")
    for note in document.notes:
        place = f":{note.place}" if note.place else ""
        report(f"{args.source}{place}: {note.message}")
    for line in _fidelity(args.source, document):
        report(line)
    missing_alt = _images_without_alt(args.dest)
    for line in missing_alt:
        report(line)
    chapters = len(list((args.dest / "book" / "chapters").glob("*.md")))
    report(f"wrote {args.dest}: {chapters} chapter(s) from {document.format} source {args.source}")
    report(f"summary: {_summary(document, chapters, len(missing_alt))}")
    if missing_alt:
        report(
            f"next: write what each of the {len(missing_alt)} image(s) above shows between its "
            "[ ] (until then make book leaves it out of every output, a note in its place, "
            "and make draft shows it), then make book && make test"
        )
    else:
        report(f"next: cd {args.dest} && make book && make test")
    return 0


def written_text(document: Document) -> str:
    """Everything the book's chapters hold of the document: each block's words and its
    Markdown as written (code, terms), headings, notes for the teacher."""
    parts = [document.title, document.author]
    for section in document.sections:
        parts.append(section.heading)
        for block in section.blocks:
            # Units as the document's own count reads them too (formulas between dollars,
            # a role as its text): units.py reads the document without MyST.
            read = [as_written(unit, roles=False) for unit in block.units]
            # As Word's count reads formulas (OMML): each one FORMULA, a display one alone.
            read += [formulas_as_one(unit) for unit in block.units]
            read += [FORMULA] * display_formulas(block.markdown)
            parts += [*block.units, *read, block.markdown]
            if block.kind == "teacher":
                parts += units(block.markdown)
    return "\n".join(parts)


#: How many missing or altered units the report names one by one.
NAMED_LOSSES = 30


def _fidelity(source: Path, document: Document) -> list[str]:
    """The document's own units (read without the converter) the book does not hold: those
    left out on purpose grouped by kind, the others one by one; then the count."""
    try:
        found = document_units(source)
    except (OSError, ValueError, zipfile.BadZipFile, ElementTree.ParseError) as error:
        return [f"{source}: its text units could not be counted ({error})"]
    findings = compare(found, written_text(document))
    lines = []
    for kind, why in LEFT_OUT.items():
        left = [f.unit for f in findings if f.status == "left out" and f.unit.kind == kind]
        if left:
            lines.append(f"{source}: {len(left)} {why} (first: {left[0].place})")
    lost = [f for f in findings if f.status != "left out"]
    for finding in lost[:NAMED_LOSSES]:
        unit = finding.unit
        text = fold(unit.text)[:60]
        lines.append(f"{source}: {unit.place}: {unit.kind} {finding.status} in the book: {text!r}")
    if len(lost) > NAMED_LOSSES:
        lines.append(f"{source}: … and {len(lost) - NAMED_LOSSES} more missing or altered")
    kept = len(found) - len(findings)
    lines.append(
        f"{source}: {kept} of {len(found)} text units of the document are in the book as "
        f"written; {len(findings) - len(lost)} left out on purpose; {len(lost)} missing or altered"
    )
    return lines


#: What the summary counts: report lines that start so (or match), and how it names them.
SUMMARY = (
    (r"comment by ", "comment(s) kept for the teacher edition only"),
    (r"tracked (insertion|deletion)", "tracked change(s) accepted"),
    (r"image .* left out", "image(s) left out (see the notes in the chapters)"),
    (r"link to .* kept as text", "link(s) kept as their text"),
    (r"role \{", "role(s) of another setup kept as their text"),
    (r"directive \{", "kind(s) of directive written as notes"),
)


def _summary(document: Document, chapters: int, without_alt: int) -> str:
    """One line: what new-book did and found, counted."""
    messages = [note.message for note in document.notes]
    parts = [f"{chapters} chapter(s)"]
    for pattern, name in SUMMARY:
        if count := sum(bool(re.match(pattern, message)) for message in messages):
            parts.append(f"{count} {name}")
    converted = sum(
        int(m.group(1))
        for message in messages
        if (m := re.match(r"raw HTML <\w+> ×(\d+)", message))
    )
    if converted:
        parts.append(f"{converted} raw HTML element(s) converted")
    rewritten = next(
        (m.group(1) for x in messages if (m := re.match(r"(\d+) link\(s\) to the", x))), ""
    )
    if rewritten:
        parts.append(f"{rewritten} link(s) made cross-references")
    if without_alt:
        parts.append(f"{without_alt} image(s) without alt text")
    return "; ".join(parts)


def _images_without_alt(project: Path) -> list[str]:
    """One line per image the chapters show without alt text, with its file and line."""
    found = []
    book = project / "book"
    for page in sorted([book / "index.md", *(book / "chapters").glob("*.md")]):
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            for image in re.findall(r"!\[\]\(<?([^)>\s]+)", line):
                found.append(
                    f"{page.relative_to(project)}:{number}: image {image} has no alt text: say "
                    f"what it shows, as in ![A map of the city]({image})"
                )
    return found


def add_commands(commands: Any) -> None:
    """Register ``new-book``."""
    parser = commands.add_parser("new-book", help="make a book project from a source document")
    parser.add_argument("source", type=Path, help="the document: .txt, .md, .docx or .odt")
    parser.add_argument("dest", type=Path, help="the new project's folder (must not exist)")
    parser.add_argument("--title", help="default: the document's title or first heading")
    parser.add_argument("--author", help="default: the document's author, if it names one")
    parser.add_argument("--language", help="language code, e.g. en, fr, ar (default: en)")
    parser.add_argument("--license", help="the licence of your additions, e.g. 'CC BY 4.0'")
    parser.add_argument("--url", help="where the web site will be published (QR codes, links)")
    parser.add_argument("--slug", help="file-name stem of the outputs (default: from the title)")
    parser.add_argument(
        "--pipeline",
        help="a checkout of the pipeline to install from (for developing it; default: the "
        "released version this pipeline is, or its git remote at this commit)",
    )
    parser.set_defaults(run=new_book_command)
