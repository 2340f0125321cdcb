"""The Markdown reader: chapters that pass the build's own checks untouched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sourcebook import built, chapters, check_build, new_book
from test_newbook import png

from classbook.sources import read
from classbook.sources.units import document_units


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def bodies(project: Path) -> list[str]:
    return [body for _path, _meta, body in chapters(project)]


def test_footnotes_and_link_definitions_follow_the_chapter_that_uses_them(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "notes.md",
        "# One\n\nPara one.[^1] See [the spec][spec] and [home].\n\n"
        "# Two\n\nPara two.[^note]\n\n"
        "[^1]: The first footnote.\n[^note]: The second footnote.\n\n"
        "[spec]: https://example.org/spec\n[home]: https://example.org/\n",
    )
    document = read(source)
    one, two = document.sections
    # A footnote's number is not the paragraph's words; its definition is its chapter's.
    assert one.paragraphs == ("Para one. See the spec and home.", "The first footnote.")
    assert two.paragraphs == ("Para two.", "The second footnote.")
    project = built(source, tmp_path / "book")
    first, second = bodies(project)
    assert "[^1]: The first footnote." in first and "[^note]" not in first
    assert "[^note]: The second footnote." in second and "[^1]:" not in second
    assert "[SPEC]: <https://example.org/spec>" in first and "[SPEC]" not in second


def test_rules_code_with_dollars_directives_roles_and_definitions_build(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "mixed.md",
        "# Mixed\n\n---\n\nAbove.\n\n---\n\nBelow.\n\n"
        "```\n$$ x $$\n```\n\n"
        ":::{seealso}\nThe other chapter.\n:::\n\n"
        "Water is H{sub}`2`O.\n\n"
        "Term\n: Its definition.\n\n"
        "First line\\\nsecond line.\n\n---\n",
    )
    [mixed] = read(source).sections
    assert mixed.paragraphs == (
        "Above.",
        "Below.",
        "The other chapter.",
        "Water is H2O.",
        "Its definition.",
        "First line\nsecond line.",
    )
    project = built(source, tmp_path / "book")
    [body] = bodies(project)
    # A rule stands between blocks of text, outside them: never first or last.
    assert body.count("\n---\n") == 1
    assert body.index("Above.") < body.index("\n---\n") < body.index("Below.")


def test_links_to_headings_in_other_chapters_become_cross_references(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "links.md",
        "# A\n\nSee [the summary](#summary) and [details](#the-details).\n\n"
        "# Summary\n\nText.\n\n## The details\n\nMore.\n",
    )
    project = built(source, tmp_path / "book")
    first, second = bodies(project)
    assert "[the summary](#sec-summary)" in first and "[details](#sec-the-details)" in first
    assert (
        "(sec-summary)=\n# Summary" in (project / "book" / "chapters" / "02-summary.md").read_text()
    )
    assert "(sec-the-details)=\n## The details" in second


def test_sibling_files_and_unknown_anchors_are_reported_and_kept_as_text(tmp_path: Path) -> None:
    source = write(tmp_path, "sib.md", "# A\n\nSee [chapter two](ch02.md) and [gone](#nowhere).\n")
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    assert "sib.md:3: link to 'ch02.md', a file beside the document, kept as text" in done.stdout
    assert "sib.md:3: link to '#nowhere': no heading or anchor" in done.stdout
    assert "See chapter two and gone." in bodies(tmp_path / "book")[0]
    assert check_build(tmp_path / "book").returncode == 0


def test_raw_html_with_a_markdown_form_is_converted(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(png())
    source = write(
        tmp_path,
        "html.md",
        "# Keys\n\n<!-- a comment -->\n\n"
        '<p align="center"><img src="logo.png" alt="The logo" width="20"></p>\n\n'
        "Press <kbd>Ctrl</kbd>+<kbd>C</kbd>, see note<sup>1</sup>, H<sub>2</sub>O,\n"
        '<span class="x">plain</span> and a break<br>here. <a id="here"></a>Anchor.\n\n'
        "<div>\n\nInside a div.\n\n</div>\n\n[Back](#here)\n",
    )
    project = built(source, tmp_path / "book")
    [body] = bodies(project)
    assert "![The logo](<../media/logo.png>)" in body
    assert (project / "book" / "media" / "logo.png").read_bytes() == png()
    assert "Press {kbd}`Ctrl`+{kbd}`C`, see note{sup}`1`, H{sub}`2`O," in body
    assert "plain and a break\\\nhere." in body
    assert "(sec-here)=\n" in body and "[Back](#sec-here)" in body
    assert "<" not in body.replace("<../media/logo.png>", "")
    done = new_book(source, tmp_path / "again")
    assert "html.md:7: raw HTML <kbd> ×2 converted to {kbd}" in done.stdout


def test_raw_html_without_one_is_refused_naming_file_line_and_element(tmp_path: Path) -> None:
    source = write(tmp_path, "table.md", "# T\n\nText.\n\n<table><tr><td>1</td></tr></table>\n")
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"classbook: {source}:5: raw HTML <table> has no Markdown or MyST form; write it in "
        "Markdown (a table as a pipe table), or remove it"
    )
    assert not (tmp_path / "book").exists()


def test_images_are_copied_left_out_with_a_note_or_reported(tmp_path: Path) -> None:
    (tmp_path / "fig").mkdir()
    (tmp_path / "fig" / "a.png").write_bytes(png())
    (tmp_path.parent / "outside.png").write_bytes(png())
    source = write(
        tmp_path,
        "img.md",
        "# Pictures\n\n![A green dot](fig/a.png)\n\n"
        "[![Build](https://img.shields.io/badge/build-passing-green.svg)](https://ci.example.org)\n\n"
        "![Elsewhere](../outside.png)\n\n![](fig/a.png)\n\n"
        "Samples: <https://github.com/octo/u3d/tree/master/Samples>\n",
    )
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    project = tmp_path / "book"
    [(path, _meta, body)] = chapters(project)
    assert "![A green dot](<../media/fig/a.png>)" in body
    assert "img.shields.io" in body and "](https://ci.example.org)" not in body  # a note, no badge
    assert body.count(":::{note}") == 2 and "Download it if its licence allows" in body
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "![](" in text)
    assert (
        f"book/chapters/{path.name}:{line}: image ../media/fig/a.png has no alt text" in done.stdout
    )
    # The build leaves it out (a note in its place); the draft shows it, with a warning.
    check = check_build(project)
    assert check.returncode == 0, check.stderr
    makefile = (project / "Makefile").read_text()
    assert "\ndraft: " in makefile and "-D classbook_undescribed_images=refuse" in makefile
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", ".", "book", "_build/draft"]
    draft = subprocess.run(
        [*command, "-q", "-D", "classbook_undescribed_images=refuse"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert draft.returncode == 0 and f"{path.name}:{line}: WARNING: image" in draft.stderr
    page = (project / "_build" / "draft" / path.relative_to(project / "book")).with_suffix(".html")
    html = page.read_text(encoding="utf-8")
    assert html.count("<img") == 2  # the green dot, twice
    # A link written as its address keeps it (the theme would shorten it to "octo/u3d").
    assert ">https://github.com/octo/u3d/tree/master/Samples</a>" in html


def test_a_fence_the_document_never_closes_is_refused(tmp_path: Path) -> None:
    source = write(tmp_path, "open.md", "# A\n\n:::{note}\nText.\n\n```{note}\nInside.\n:::\n")
    done = new_book(source, tmp_path / "book")
    assert (
        done.returncode == 1
        and f"{source}:6: the fence '```' opened here is never closed" in done.stderr
    )


def test_figure_and_image_directives_take_their_files_as_markdown_images_do(
    tmp_path: Path,
) -> None:
    """A MyST or Jupyter Book chapter's {figure}: its file copied into the book, or left
    out with a note while its caption stays; an example inside a code block is untouched."""
    (tmp_path / "fig").mkdir()
    (tmp_path / "fig" / "a.png").write_bytes(png())
    (tmp_path.parent / "outside.png").write_bytes(png())
    source = write(
        tmp_path,
        "fig.md",
        "# Figures\n\n```{figure} fig/a.png\n:alt: A green dot\n:name: dot\n\nThe dot.\n```\n\n"
        "```{figure} ../outside.png\n:alt: Elsewhere\n\nA caption from elsewhere.\n```\n\n"
        "````md\n```{figure} ../outside.png\nShown as an example.\n```\n````\n\nEnd.\n",
    )
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    project = tmp_path / "book"
    [(_path, _meta, body)] = chapters(project)
    assert "```{figure} ../media/fig/a.png" in body
    assert (project / "book" / "media" / "fig" / "a.png").is_file()
    assert "A caption from elsewhere." in body and "```{figure} ../outside.png\n:alt:" not in body
    assert "```{figure} ../outside.png\nShown as an example." in body  # code, as written
    assert "outside the document's folder" in done.stdout + done.stderr
    check = check_build(project)
    assert check.returncode == 0, check.stderr


def test_a_math_lesson_keeps_its_equation_references_and_builds(tmp_path: Path) -> None:
    # As QuantEcon's lessons are written: {math} with :label: (in a note too) and {eq} to
    # it, an amsmath environment, two roles on a line, a code cell whose options are a YAML
    # block, a {raw} html logo, and "$x, $" (a space inside the dollars: text, as in pandoc
    # and in every book, and said so).
    source = write(
        tmp_path,
        "lesson.md",
        '# Series\n\n```{raw} html\n<div><a href="https://example.org/">'
        '<img src="https://example.org/logo.svg" alt="Logo"></a></div>\n```\n\n'
        "The key formula is\n\n```{math}\n:label: infinite\n\n"
        "1 + c + c^2 + \\cdots = \\frac{1}{1 - c}\n```\n\n"
        "and\n\n$$\nx = 1\n$$ (one)\n\n"
        ":::{tip}\n```{math}\n:label: inside\n\ny = 2\n```\n:::\n\n"
        "\\begin{align}\na &= b \\\\\nc &= d\n\\end{align}\n\n"
        "See {eq}`infinite` and {eq}`one` and {eq}`nowhere`, and {eq}`inside`.\n\n"
        "```{code-cell} ipython3\n---\nmystnb:\n  figure:\n    caption: A plot\n---\n"
        "print(1)\n```\n\n"
        "For the integers $n = 0, 1, \\ldots, $.\n",
    )
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    spaced = (
        source.read_text(encoding="utf-8")
        .splitlines()
        .index("For the integers $n = 0, 1, \\ldots, $.")
    )
    assert f"lesson.md:{spaced + 1}: a formula between dollars with a space just" in done.stdout
    assert done.stdout.count("role {eq} kept as its text") == 1  # {eq}`nowhere` only
    [body] = bodies(tmp_path / "book")
    assert "See {eq}`infinite` and {eq}`one` and nowhere, and {eq}`inside`." in body
    # An amsmath environment is math to the reader as to the book: no paragraph of text.
    [section] = read(source).sections
    assert not [p for p in section.paragraphs if "align" in p]
    # The {raw} html logo: its image reported (on the web), no frame or title left.
    assert "mystnb" not in body and "Raw" not in body and "https://example.org/logo.svg" in body
    assert "```python\nprint(1)\n```" in body  # the code cell, its options left out
    assert check_build(tmp_path / "book").returncode == 0


def test_jupyter_book_directives_read_as_a_reader_sees_them(tmp_path: Path) -> None:
    # As Jupyter Book lessons are written (QuantEcon): an index entry, raw LaTeX, a proof
    # directive with a name, an exercise and sphinx-exercise's solution-start/-end marks.
    source = write(
        tmp_path,
        "lesson.md",
        "# Series\n\n```{index} single: python\n```\n\n```{raw} latex\n\\newpage\n```\n\n"
        "```{prf:theorem} Neumann Series Lemma\n:label: neumann\n\nIt converges.\n```\n\n"
        "```{exercise}\n:label: ex1\n\nSum the series.\n```\n\n"
        "```{solution-start} ex1\n:class: dropdown\n```\n\nThe sum is two.\n\n"
        "```{solution-end}\n```\n",
    )
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    [body] = bodies(tmp_path / "book")
    assert "{admonition} Theorem (Neumann Series Lemma)\n" in body and "It converges." in body
    assert "{admonition} Exercise\n" in body and "{rubric} Solution\n" in body
    assert "The sum is two." in body
    for gone in ("single: python", "newpage", "ex1", "dropdown", "Solution-End", "solution"):
        assert gone not in body, gone
    for name in ("index", "raw", "solution-end"):
        assert f"directive {{{name}}} left out: it shows nothing on a page" in done.stdout
    assert check_build(tmp_path / "book").returncode == 0


def test_new_books_count_of_text_units_reads_front_matter_roles_and_formulas(
    tmp_path: Path,
) -> None:
    # Not losses: front matter (settings), a role's backquotes, a paragraph with both a
    # formula and emphasis (the count reads the document without MyST).
    source = write(
        tmp_path,
        "lesson.md",
        "---\njupytext:\n  format_name: myst\n---\n# Series\n\n"
        "The key formula is\n\n$$\nx = 1\n$$ (one)\n\n"
        "Banks hold a fraction $r \\in (0,1)$ of cash behind each **deposit**.\n\n"
        "By {eq}`one`, and {sub}`2` too.\n",
    )
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    assert "0 missing or altered" in done.stdout, done.stdout
    # The count still finds a loss: a paragraph the book does not hold.
    [chapter] = (tmp_path / "book" / "book" / "chapters").glob("*.md")
    from classbook.sources.units import compare, document_units

    held = chapter.read_text(encoding="utf-8").replace("Banks hold", "Banks keep")
    lost = [f.unit.text for f in compare(document_units(source), held)]
    assert any(text.startswith("Banks hold") for text in lost), lost


def test_a_jupyter_book_chapter_brings_its_books_tex_commands(tmp_path: Path) -> None:
    # matematikk_1t defines \\liff for MathJax in _config.yml (as [TeX, arguments] too); a
    # chapter two folders below uses it. new-book writes them into conf.py and says so.
    (tmp_path / ".git").mkdir()
    (tmp_path / "_config.yml").write_text(
        "sphinx:\n  config:\n    mathjax3_config:\n      tex:\n        macros:\n"
        '          liff: ["\\\\quad \\\\iff \\\\quad"]\n'
        '          pair: ["(#1, #2)", 2]\n',
        encoding="utf-8",
    )
    (tmp_path / "book" / "ch").mkdir(parents=True)
    source = write(
        tmp_path / "book" / "ch", "lesson.md", "# Likninger\n\n$x = 1 \\liff \\pair{a}{b}$.\n"
    )
    done = new_book(source, tmp_path / "made")
    assert done.returncode == 0, done.stderr
    assert f"2 TeX command(s) of the book's configuration ({tmp_path / '_config.yml'})" in (
        done.stdout
    )
    conf = (tmp_path / "made" / "conf.py").read_text(encoding="utf-8")
    assert (
        "classbook_math_macros = {'liff': '\\\\quad \\\\iff \\\\quad', 'pair': '(#1, #2)'}" in conf
    )
    assert check_build(tmp_path / "made").returncode == 0


def test_a_cards_rules_and_separators_are_left_out(tmp_path: Path) -> None:
    # sphinx-design's grid of cards (matematikk_1t): ^^^ ends a card's header, --- divides
    # it; docutils refuses a transition inside a note ("Transition must be child of
    # <document> or <section>"). A nested figure's options (a YAML block) stay its own.
    (tmp_path / "a.png").write_bytes(png())
    source = write(
        tmp_path,
        "cards.md",
        "# Former\n\nIntro.\n\n:::::{grid} 1 1 2 2\n---\ngutter: 2\n---\n\n"
        "::::{grid-item-card}\nStandardform\n\n^^^\n\n:::{figure} a.png\n---\nwidth: 80%\n"
        "---\nThe graph.\n:::\n\n---\n\nWhat we read.\n\n+++\nFooter.\n::::\n:::::\n",
    )
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    assert "0 missing or altered" in done.stdout, done.stdout
    [body] = bodies(tmp_path / "book")
    assert "^^^" not in body and "+++" not in body and "\n---\n\nWhat" not in body
    assert "width: 80%" in body and "The graph." in body and "Footer." in body
    assert check_build(tmp_path / "book").returncode == 0


def test_a_headings_formula_is_marked_as_a_paragraphs_is(tmp_path: Path) -> None:
    # "### $abc$-formelen" (matematikk_1t): make verify compares each output's formula as
    # one; the heading's unit was its TeX as words, and print (a glyph) failed verify.
    from classbook.sources.myst import formula_mark

    source = write(
        tmp_path, "h.md", "# The $x$ rule\n\nText.\n\n## Using $abc$-formelen\n\nMore.\n"
    )
    [section] = read(source).sections
    assert section.heading == "The x rule"  # the title as written stays words
    assert section.texts[:3] == (
        f"The {formula_mark('x')} rule",
        "Text.",
        f"Using {formula_mark('abc')}-formelen",
    )


def test_new_books_count_reads_a_jupyter_books_directives_and_formulas(tmp_path: Path) -> None:
    # As Jupyter Book lessons are written (QuantEcon, matematikk_1t): an exercise in colon
    # fences with a YAML block of options, a solution in backticks, a display formula right
    # under a sentence with TeX's \\ and \, in it, a {doc} role with a target, a code
    # cell with :tags:. The count reads the paragraphs inside as paragraphs, each formula
    # as written or as one: "21 missing or altered" on a QuantEcon lesson was 0 or 1.
    source = write(
        tmp_path,
        "lesson.md",
        "# Likninger\n\n:::::{exercise} Oppgave 1\n---\nclass: problem-level-1\n---\n"
        "Løs likningen\n$$\nx^2 = 4 \\\\ x = \\pm 2\n$$\n\n"
        "::::{admonition} Fasit\n:class: dropdown\n$x = 2 \\, \\lor \\, x = -2$.\n::::\n"
        ":::::\n\n```{solution} ex1\n:class: dropdown\n\nSee {doc}`the sums <sums>`.\n```\n\n"
        "```{code-cell} ipython3\n:tags: [hide-input]\n\nprint(1)\n```\n",
    )
    units = document_units(source)
    texts = [u.text for u in units]
    assert "Løs likningen" in texts and "\ufffc" in texts  # the sentence, then the formula
    assert "$x = 2 \\, \\lor \\, x = -2$." in texts and "See the sums." in texts
    assert not [t for t in texts if ":::" in t or "class:" in t or "{solution}" in t], texts
    assert [u.text.strip() for u in units if u.kind == "code"] == ["print(1)"]  # no :tags:
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    assert "0 missing or altered" in done.stdout, done.stdout
