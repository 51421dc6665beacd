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
