import pytest

from gsmile_core.sanitize import one_line, strip_unsafe


def test_strips_escape_sequences_and_controls():
    hostile = "ok\x1b[31mred\x1b[0m \x1b]0;title\x07 \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x07bell\x00\x9b2J"
    clean = strip_unsafe(hostile)
    assert "\x1b" not in clean and "\x07" not in clean and "\x00" not in clean and "\x9b" not in clean
    assert "red" in clean and "link" in clean


def test_keeps_newlines_tabs_and_text():
    assert strip_unsafe("a\tb\nc") == "a\tb\nc"
    assert strip_unsafe("a\r\nb\rc") == "a\nb\nc"


def test_removes_bidi_overrides():
    assert strip_unsafe("abc\u202edef\u2066") == "abcdef"


def test_markup_is_left_as_text():
    assert strip_unsafe("[@click=app.quit]x[/]") == "[@click=app.quit]x[/]"


def test_one_line():
    assert one_line("a\n\n b  c", limit=4) == "a b…"


def test_an_unterminated_string_sequence_takes_only_its_first_word():
    """rich and Textual drop BEL before text reaches a display, leaving `ESC ] 0;title` without its
    terminator: the sequence goes, the words after it stay (once the ESC is gone they are text)."""
    assert strip_unsafe("said \x1b]0;pwned-title hello there") == "said  hello there"
    assert strip_unsafe("said \x9d0;title hello") == "said  hello"
    assert strip_unsafe("a \x1b]0;my title\x07 b") == "a  b"  # terminated: all of it, spaces included


def test_a_megabyte_of_introducers_is_stripped_in_one_pass():
    """A provider's hostile answer of unterminated introducers and spaces: each sequence's scan
    stops at the next introducer, so this finishes (a scan to the end for each would not)."""
    for introducer in ("\x90", "\x9d", "\x1b]", "\x1bP"):
        assert strip_unsafe(f"{introducer}x " * 300_000) == " " * 300_000


@pytest.mark.parametrize(
    "text,kept",
    [
        ("The price \x9bis high", "The price is high"),  # a bare final letter is text
        ("\x9b2024 was a year", "2024 was a year"),  # a space is not read as an intermediate byte
        ("\x9bHello", "Hello"),
        ("x\x9b", "x"),
    ],
)
def test_a_stray_8_bit_csi_swallows_no_text(text, kept):
    assert strip_unsafe(text) == kept


@pytest.mark.parametrize("sequence", ["\x9b31m", "\x9b0m", "\x9b2J", "\x9b?25l", "\x9b1;31m", "\x9b12;40H"])
def test_a_real_8_bit_csi_is_removed_whole(sequence):
    assert strip_unsafe(f"before{sequence}after") == "beforeafter"
