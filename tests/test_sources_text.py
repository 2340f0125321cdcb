"""The plain-text reader: the document's own shape decides paragraphs, verse and headings."""

from __future__ import annotations

from pathlib import Path

from sourcebook import built, chapters, check_build, new_book

from classbook.sources import read

WRAPPED = """My Book

This is a paragraph that has been wrapped at about seventy characters
so that it runs over several lines, as plain text files usually are
written, and it ends here.

A second paragraph, also wrapped over two lines by the writer of
the file, whose last line is short
and ends here.

CHAPTER I

The first chapter's text begins on this line and runs on to the next
one, as wrapped text does, with its words filling every line to about
seventy characters before the writer's editor breaks it.

1. Introduction

The numbered chapter's text, also wrapped at about seventy characters
so that its lines are of one width, until it ends on a short line.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_wrapped_lines_are_joined_into_paragraphs(tmp_path: Path) -> None:
    document = read(write(tmp_path, "wrapped.txt", WRAPPED))
    assert [s.heading for s in document.sections] == ["My Book", "CHAPTER I", "1. Introduction"]
    first = document.sections[0].paragraphs
    assert first[0].startswith("This is a paragraph that has been wrapped at about seventy")
    assert first[0].endswith("as plain text files usually are written, and it ends here.")
    # "the file, whose last line is short" is a wrapped line's tail, not a heading.
    assert len(first) == 2 and "the file, whose last line is short\nand ends here." in first[1]
    assert any("wrapped text" in note.message for note in document.notes)


def test_our_one_paragraph_per_line_source_still_reads_line_by_line() -> None:
    from helpers import SOURCE

    document = read(SOURCE)
    assert len([s for s in document.sections if s.heading]) == 11
    assert all(len(s.paragraphs) >= 1 for s in document.sections)
    assert any("one paragraph per line" in note.message for note in document.notes)


def test_a_paragraph_per_line_book_keeps_its_many_chapters(tmp_path: Path) -> None:
    # A long book in our first source's shape: its headings are the writer's, in any number
    # (make bench builds one of 200 chapters); only tiny chapters mean the guess was wrong.
    paragraph = "A paragraph of the chapter that runs on with enough words to be prose. " * 4
    text = "".join(f"Chapter heading {n}\n{paragraph.strip()}\n" for n in range(1, 201))
    document = read(write(tmp_path, "long.txt", text))
    headings = [s.heading for s in document.sections if s.heading]
    assert headings == [f"Chapter heading {n}" for n in range(1, 201)]
    tiny = "".join(f"Line {n}\nA few words here.\n" for n in range(1, 201))
    assert [s.heading for s in read(write(tmp_path, "tiny.txt", tiny)).sections] == [""]


def test_a_verse_is_kept_line_for_line_and_a_diagram_as_written(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "poem.txt",
        "THE SONG\n\n"
        "Oh child come to me and just sit down by my knee,\n"
        "I'll tell that same old story just once more;\n"
        "Of dark, clouded years, oh, so full of bitter tears,\n"
        "In those bondage days of long before the war.\n\n"
        "The header is laid out as follows, in a figure drawn with the\n"
        "characters of a typewriter, which the book must keep exactly as written.\n\n"
        "   +---+---+\n   |ID1|ID2|\n   +---+---+\n",
    )
    [song] = read(source).sections
    layouts = [b.layout for b in song.blocks]
    assert layouts == ["lines", "paragraphs", "preformatted"]
    assert song.paragraphs[0].split("\n")[1] == "I'll tell that same old story just once more;"
    assert song.paragraphs[2] == "   +---+---+\n   |ID1|ID2|\n   +---+---+"
    project = built(source, tmp_path / "book")
    [(_path, _meta, body)] = chapters(project)
    assert ":layout: lines\nOh child come to me" in body
    assert ":layout: preformatted\n   +---+---+\n   |ID1|ID2|\n" in body


def test_the_same_heading_twice_makes_two_chapters_checked_by_position(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "songs.txt",
        "Songs\n\nFirst song\n\nA line of the song.\n\nCHORUS\n\nSing the chorus.\n\n"
        "Second song\n\nAnother line.\n\nCHORUS\n\nSing it again.\n",
    )
    project = built(source, tmp_path / "book")
    made = [(path.name, meta) for path, meta, _ in chapters(project)]
    choruses = [
        (name, meta["source_section"]) for name, meta in made if meta["source_heading"] == "CHORUS"
    ]
    assert len(choruses) == 2 and choruses[0][0] != choruses[1][0]
    assert [position for _, position in choruses] == [2, 4]
    # Each chorus is compared with its own section: swapping their texts is caught.
    first, second = (p for p, m, _ in chapters(project) if m["source_heading"] == "CHORUS")
    first_text, second_text = first.read_text(), second.read_text()
    first.write_text(first_text.replace("Sing the chorus.", "Sing it again."))
    second.write_text(second_text.replace("Sing it again.", "Sing the chorus."))
    check = check_build(project)
    assert check.returncode != 0
    assert f"{first.name}:" in check.stderr and "Sing it again" in check.stderr


def test_many_one_line_chapters_fall_back_to_fewer_and_say_so(tmp_path: Path) -> None:
    wrapped = (
        "Words that fill a line of about seventy characters, as wrapped text does,\n"
        "and go on to a second line of the same paragraph, ending short.\n\n"
    )
    text = "".join(f"Part {number} of the notes\n\n{wrapped}" for number in range(40))
    source = write(tmp_path, "notes.txt", text)
    document = read(source)
    assert [s.heading for s in document.sections if s.heading] == []
    [note] = [n.message for n in document.notes if "chapters" in n.message]
    assert "40 of the 40 chapters short lines would make have fewer than 40 words" in note
    assert note.endswith("the text is one chapter")
    done = new_book(source, tmp_path / "book")
    assert done.returncode == 0, done.stderr
    assert note in done.stdout
    assert check_build(tmp_path / "book").returncode == 0


GUTENBERG = """The Project Gutenberg EBook of Little Songs, by Ann Writer

This eBook is for the use of anyone anywhere at no cost and with
almost no restrictions whatsoever.  You may copy it, give it away or
re-use it under the terms of the Project Gutenberg License included
with this eBook or online at www.gutenberg.org


Title: Little Songs
       For Children

Author: Ann Writer

*** START OF THIS PROJECT GUTENBERG EBOOK LITTLE
SONGS ***




CHAPTER I

The first chapter's words are wrapped at about seventy characters, as
the rest of this book is, and they end here on a short line.




CHAPTER II

The second chapter's words are wrapped at about seventy characters as
well, and they end here too.

End of the Project Gutenberg EBook of Little Songs, by Ann Writer

*** END OF THIS PROJECT GUTENBERG EBOOK LITTLE SONGS ***

This eBook is for the use of anyone anywhere at no cost and with
almost no restrictions whatsoever.  You may copy it, give it away or
re-use it under the terms of the Project Gutenberg License included
with this eBook or online at www.gutenberg.org
"""


def test_a_gutenberg_header_and_licence_are_front_and_back_matter(tmp_path: Path) -> None:
    source = write(tmp_path, "pg.txt", GUTENBERG)
    document = read(source)
    assert (document.title, document.author) == ("Little Songs", "Ann Writer")
    assert document.metadata["subtitle"] == "For Children"
    opening, one, two, licence = document.sections
    assert opening.heading == ""
    assert opening.paragraphs[-1] == "*** START OF THIS PROJECT GUTENBERG EBOOK LITTLE\nSONGS ***"
    assert [one.heading, two.heading] == ["CHAPTER I", "CHAPTER II"]
    assert licence.heading == "" and licence.title == "The Project Gutenberg License"
    assert (
        licence.paragraphs[0] == "End of the Project Gutenberg EBook of Little Songs, by Ann Writer"
    )
    # The licence's lines repeat the header's: never a chapter (or an anchor) of their own.
    project = built(source, tmp_path / "book")
    made = chapters(project)
    assert [m["source_heading"] for _, m, _ in made] == ["CHAPTER I", "CHAPTER II", ""]
    assert made[-1][2].lstrip().startswith("# The Project Gutenberg License")
    assert "project = 'Little Songs'" in (project / "conf.py").read_text()
    assert "author = 'Ann Writer'" in (project / "conf.py").read_text()


def test_a_form_feed_does_not_shift_line_numbers(tmp_path: Path) -> None:
    text = (
        "Page one text, long enough to be wrapped at about seventy characters\n"
        "onto a second line.\n\n"
        "\fTHE SECOND PAGE\n\n"
        "Page two text, long enough to be wrapped at about seventy characters\n"
        "onto a second line.\n"
    )
    source = write(tmp_path, "paged.txt", text)
    document = read(source)
    [_opening, page] = document.sections
    assert (page.heading, page.line) == ("THE SECOND PAGE", 4)
    done = new_book(source, tmp_path / "book")
    assert "paged.txt:4: chapter 'THE SECOND PAGE'" in done.stdout
