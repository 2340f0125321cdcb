"""make verify reads what a reader reads: what the outputs add inside a paragraph (a page
badge, a footnote marker, a printed address) is never taken for lost text."""

from __future__ import annotations

from pathlib import Path

from classbook.publish.verify import (
    _PRINTED_FORMULAS,
    _PRINTED_URL,
    FORMULA,
    _without_late_numbers,
    as_printed,
    check,
    equation_numbers,
    fold,
    html_notes,
    html_text,
    pdf_text,
)
from classbook.sources.myst import units


def test_a_page_badge_and_a_footnote_marker_inside_a_paragraph_are_ours() -> None:
    page = (
        '<p>See cdecl<a class="footnote-reference brackets" href="#id3" role="doc-noteref">'
        '<span class="fn-bracket">[</span>31<span class="fn-bracket">]</span></a> for C, '
        'and <span class="classbook-page" role="doc-pagebreak" id="page-7" aria-label="Page 7">'
        "p.&#160;7</span>the rest.</p>"
    )
    text, _links = html_text(page)
    assert text == "See cdecl for C, and the rest."
    assert check("html", text, ["See cdecl for C, and the rest."]).ok
    # The same words without our additions are still told apart from real loss.
    assert not check("html", text, ["See cdecl for C++, and the rest."]).ok


def test_print_addresses_after_links_are_not_lost_text() -> None:
    printed = "Read the guide (https://example.net/a/ b) first, then (see above) go on."
    assert _PRINTED_URL.sub("", printed) == "Read the guide first, then (see above) go on."
    # An address with parentheses of its own (Wikipedia's) is print's too, whole.
    wiki = "a fixed point (https://en.wikipedia.org/wiki/Fixed_point_(mathematics)) of g."
    assert _PRINTED_URL.sub("", wiki) == "a fixed point of g."
    finding = check("pdf/x.pdf", as_printed(printed), ["Read the guide first,"], pdf=True)
    assert finding.ok
    # A source that writes an address in parentheses itself is found in print too.
    own = "Mail us (mailto:a@b.example) today."
    assert check("pdf/x.pdf", as_printed(own), [own], pdf=True).ok


def test_a_formula_is_compared_as_one_whatever_each_output_draws() -> None:
    page = (
        '<p>The speed is <math alttext="v equals d over t"><mi>v</mi><mo>=</mo><mfrac><mi>d</mi>'
        '<mi>t</mi></mfrac><annotation encoding="application/x-tex">v = \\frac{d}{t}</annotation>'
        "</math> for a body.</p>"
    )
    # The reader marks the unit's own formulas (a formula "a" is not the word "a").
    [unit] = units("The speed is $v = \\frac{d}{t}$ for a body.")
    assert check("html", html_text(page)[0], [unit]).ok
    printed = "The speed is \U000f0000 for a body."  # a glyph of the PDF's formula font
    assert check(
        "pdf/x.pdf", as_printed(_PRINTED_FORMULAS.sub(FORMULA, printed)), [unit], pdf=True
    ).ok
    # A formula dropped from an output is still lost text.
    assert not check("html", "The speed is for a body.", [unit]).ok


def test_a_footnote_with_a_formula_may_stand_anywhere() -> None:
    """A note's body is found wherever its output sets it (print: at the foot of the page),
    also when it holds a formula: the note's text reads the formula as one, as the page's."""
    page = (
        '<p>First.</p><aside class="footnote" role="doc-footnote"><span class="label">[1]</span>'
        "<p>Sum <math><mi>x</mi><annotation>x</annotation></math> over all.</p></aside>"
        "<p>Last.</p>"
    )
    [note] = html_notes(page)
    [first, in_note, last] = [*units("First."), *units("Sum $x$ over all."), *units("Last.")]
    assert note == fold(f"Sum {FORMULA} over all.")
    printed = as_printed(f"First. Last. Sum {FORMULA} over all.")  # the note at the foot
    assert check("pdf/x.pdf", printed, [first, in_note, last], pdf=True, notes=as_printed(note)).ok
    assert not check("pdf/x.pdf", printed, [first, in_note, last], pdf=True).ok


def test_formulas_side_by_side_in_print_are_each_one() -> None:
    # A table whose cells are formulas ("| $V$ | $p$ |"): the PDF's text holds their glyphs
    # side by side; taken as one formula, every unit after them was "out of order".
    cells = [*units("| $V$ | $p$ | Beskrivelse |\n|---|---|---|\n| $V > 1$ | $p > 0$ | Økning |")]
    assert len(cells) == 6
    printed = "\U000f0001\U000f0002Beskrivelse\U000f0003\U000f0004Økning"
    assert check(
        "pdf/x.pdf", as_printed(_PRINTED_FORMULAS.sub(FORMULA, printed)), cells, pdf=True
    ).ok


def test_a_one_letter_formula_is_not_taken_from_the_words_around_it() -> None:
    # A lesson with $c$ and $a$ in it: "a real number" keeps its "a", "Overview" its "c"-less
    # letters (the TeX of every formula of the site replaced inside every word before).
    [unit, overview] = units("Let $c$ be a real number and $a$ one more.\n\nOverview")
    page = (
        '<p>Let <math><mi>c</mi><annotation encoding="application/x-tex">c</annotation></math>'
        ' be a real number and <math><mi>a</mi><annotation encoding="application/x-tex">a'
        "</annotation></math> one more.</p><p>Overview</p>"
    )
    assert check("html", html_text(page)[0], [unit, overview]).ok


def test_print_breaks_and_page_references_are_not_lost_text() -> None:
    printed = "see the file win32/\nDLL_FAQ.txt, the agreement (see below (see p. 13)), Ouch."
    units = ["see the file win32/DLL_FAQ.txt, the agreement (see below), Ouch."]
    assert check("pdf/x.pdf", as_printed(printed), units, pdf=True).ok
    assert not check("pdf/x.pdf", as_printed(printed), ["the agreement (see above)"], pdf=True).ok
    # Chinese breaks a line between any two characters, and the break is no space.
    assert fold("须知第8\n条所列") == "须知第8条所列"
    assert check("pdf/x.pdf", pdf_fold("须知第8\n条所列"), ["须知第8条所列"], pdf=True).ok
    assert check("pdf/x.pdf", pdf_fold("1.1\n本谈判文件"), ["1.1 本谈判文件"], pdf=True).ok

    # A cross-reference inside the text's own parenthesis ending in a number (Word's "§0").
    printed = "using the titlePg element (§0 (see p. 33)). If a first"
    units = ["using the titlePg element (§0). If a first"]
    assert check("pdf/x.pdf", pdf_fold(printed), units, pdf=True).ok


def test_list_numbers_drawn_after_the_text_below_them_are_left_out() -> None:
    # Print drew the numbers of two items holding code last, back up the page: read where
    # they were drawn they split the page's last paragraph ("…{1.1.this.jaxb…").
    drawn = [("1. ", 700.0, 10.5), ("Parts are", 700.0, 10.5), ("public void set(x) {", 84.0, 10.5)]
    drawn += [("1. ", 636.5, 10.5), ("2. ", 336.3, 10.5)]
    assert [f[0] for f in _without_late_numbers(drawn)] == [f[0] for f in drawn[:3]]
    # A number below the text before it (an item's own line, a table cell) is read.
    assert _without_late_numbers([("Text", 700.0, 10.5), ("1. ", 600.0, 10.5)])[1][0] == "1. "


def pdf_fold(text: str) -> str:
    return as_printed(fold(text))


def test_a_footnote_call_is_told_by_its_rise_not_by_digits_after_a_word(tmp_path: Path) -> None:
    from weasyprint import HTML

    long = " ".join(
        f"Sentence {n} of a paragraph that runs on to the next page." for n in range(40)
    )
    page = (
        "<style>@page { size: A6; margin: 10mm } .fn { float: footnote }"
        ".fn::footnote-call { font-size: 75%; vertical-align: super; line-height: 0 }"
        '.fn::footnote-marker { content: counter(footnote) ". " } .fn { font-size: 8.5pt }</style>'
        '<p>It hurt, Ouch<span class="fn">A note of ours.</span>. The count was 4 in all.</p>'
        "<p>Of the writes.</p><p>4 average writes per second, see paragraphs 1.E.8 or 1.E.9.</p>"
        f'<p>Two notes<span class="fn">One.</span><span class="fn">Two.</span> and {long}</p>'
    )
    pdf = tmp_path / "calls.pdf"
    HTML(string=page).write_pdf(pdf)
    text = pdf_text(pdf)
    units = [
        "It hurt, Ouch. The count was 4 in all.",
        "Of the writes.",
        "4 average writes per second, see paragraphs 1.E.8 or 1.E.9.",
        f"Two notes and {long}",  # across a page whose foot holds three notes
        "A note of ours.",
        "One.",
        "Two.",
    ]
    notes = as_printed("A note of ours. One. Two.")
    finding = check("pdf/x.pdf", text, units, pdf=True, notes=notes)
    assert finding.ok, (finding.missing, text)
    # The digits of the text itself are never taken for calls.
    assert not check("pdf/x.pdf", text, ["4 average writes per second, see paragraphs 1.E. or"]).ok


def test_an_equation_reference_is_its_equations_number_in_every_output() -> None:
    # {eq}`gp_sum` is "(1)" wherever the book shows it (Sphinx's id: equation-gp-sum).
    [unit] = units("So {eq}`gp_sum` holds.")
    page = (
        '<div class="math-wrapper"><span class="eqno">(1)<a class="headerlink" '
        'href="#equation-gp-sum" title="Link to this equation">#</a></span></div>'
        '<p>So <a class="reference internal" href="#equation-gp-sum">(1)</a> holds.</p>'
    )
    numbers = equation_numbers(page)
    assert numbers == {"equation-gp-sum": "(1)"}
    assert check("html", html_text(page)[0], [unit], numbers=numbers).ok
    assert not check("html", "So holds.", [unit], numbers=numbers).ok
    printed = "So (1) (see p. 7) holds."
    assert check("pdf/x.pdf", as_printed(printed), [unit], pdf=True, numbers=numbers).ok


def test_verify_outside_a_book_is_one_line(tmp_path: Path) -> None:
    from helpers import run_classbook

    done = run_classbook(tmp_path, "verify", epoch=None)
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == f"classbook: {tmp_path / 'conf.py'}: no such file: run it in a book's folder"
    )
