"""Hostile text for the report tests (imported by conftest.py and the test modules)."""

# Printable hostile text: survives the pipeline's own sanitising, so it reaches the report.
MARKUP = "[@click=app.quit] [bold red]boom[/]"
HTML_ATTACK = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"
MD_ATTACK = "[link](javascript:alert(1)) ![pixel](http://evil.example/p.png) ``` | cell | **bold**"
# Control text: removed by strip_unsafe (the report must do it again for hand-edited files).
ESCAPES = "\x1b[31mred\x1b[0m \x1b]8;;http://evil.example/\x07osc-link\x1b]8;;\x07 \u202eevil\u202c \x00\x07\x9b2J"
CONTROL_CHARS = ("\x1b", "\u202e", "\u202c", "\x00", "\x07", "\x9b")
