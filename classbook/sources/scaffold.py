"""``classbook new-book``: a source document in, a complete book project out."""

from __future__ import annotations

import argparse
import datetime
import json
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import jinja2

from classbook._version import __version__
from classbook.cli import report, say
from classbook.sources import Document, Section, SourceError, read, slugify

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
        return f"classbook @ git+{remote}@{commit}"
    return f"classbook=={__version__}"


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


def chapter_markdown(section: Section, title: str, media_prefix: str) -> str:
    """A chapter that mirrors ``section``: front matter, heading, the text in source blocks."""
    lines = ["---", f"source_heading: {_quote(section.heading)}"]
    if section.group:
        lines.append(f"source_group: {_quote(section.group)}")
    lines += ["---", "", f"# {title}", "", *_body(section, media_prefix)]
    return "\n".join(lines)


def _body(section: Section, media_prefix: str) -> list[str]:
    """The section's sub-headings as headings, its text in ``source-text`` blocks."""
    lines = []
    for block in section.blocks:
        if block.level:
            lines += [block.markdown, ""]
            continue
        body = block.markdown.replace("](media/", f"]({media_prefix}media/")
        fence = _fence(body)
        lines += [f"{fence}{{source-text}}", body, fence, ""]
    return lines


def _chapters(document: Document, title: str) -> list[tuple[str, Section, str]]:
    """(file stem, section, printed title) of each chapter, in source order."""
    named = [s for s in document.sections if s.heading]
    if not named:  # no headings at all: the whole text is one chapter
        return [(f"01-{slugify(title)}", document.sections[0], title)]
    width = max(2, len(str(len(named))))
    return [
        (
            f"{number:0{width}d}-"
            + slugify(" ".join(section.heading.split()[:FILE_NAME_WORDS]), "chapter"),
            section,
            section.heading,
        )
        for number, section in enumerate(named, start=1)
    ]


def plan(document: Document, options: dict[str, str]) -> dict[str, str | bytes]:
    """Every file of the new project (path relative to it → content)."""
    title = options.get("title") or document.title or document.path.stem
    slug = options.get("slug") or slugify(title, slugify(document.path.stem))
    author = options.get("author") or document.author or "Unknown author"
    year = datetime.date.today().year
    source_file = f"{slug}{document.path.suffix.lower()}"
    values: dict[str, Any] = {
        "title": title,
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

    chapters = _chapters(document, title)
    opening = next((s for s in document.sections if not s.heading), None)
    index = []
    if opening is not None and chapters[0][1] is not opening:
        index += ["---", 'source_heading: ""', "---", "", f"# {title}", ""]
        index += _body(opening, "")
    else:
        index += [f"# {title}", ""]
    depth = 2 if any(b.level for s in document.sections for b in s.blocks) else 1
    index += [":::{toctree}", f":maxdepth: {depth}", ""]
    index += [f"chapters/{stem}" for stem, _, _ in chapters]
    index += [":::", ""]
    files["book/index.md"] = "\n".join(index)
    for stem, section, heading in chapters:
        files[f"book/chapters/{stem}.md"] = chapter_markdown(section, heading, "../")
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
    """Make the book and say which lines' roles were guessed."""
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
    for guess in document.guesses:
        report(f"{args.source}:{guess.line}: {guess.decision}: {guess.text[:60]!r}")
    chapters = sum(1 for s in document.sections if s.heading) or 1
    report(f"wrote {args.dest}: {chapters} chapter(s) from {document.format} source {args.source}")
    report(f"next: cd {args.dest} && make book && make test")
    return 0


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
