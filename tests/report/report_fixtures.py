"""Hostile text for the report tests (imported by conftest.py and the test modules)."""

# Printable hostile text: survives the pipeline's own sanitising, so it reaches the report.
MARKUP = "[@click=app.quit] [bold red]boom[/]"
HTML_ATTACK = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"
MD_ATTACK = "[link](javascript:alert(1)) ![pixel](http://evil.example/p.png) ``` | cell | **bold**"
# Control text: removed by strip_unsafe (the report must do it again for hand-edited files).
ESCAPES = "\x1b[31mred\x1b[0m \x1b]8;;http://evil.example/\x07osc-link\x1b]8;;\x07 \u202eevil\u202c \x00\x07\x9b2J"
CONTROL_CHARS = ("\x1b", "\u202e", "\u202c", "\x00", "\x07", "\x9b")


def read_back(session_dict):
    """A session's to_dict as reading its file gives it back: the explanations and checks lose
    their terminal escapes (text read from a file is untrusted); the session's own name and labels
    are kept as written (every view sanitises them when it shows them)."""
    return {**session_dict, "runs": [{**run, "explanation": without_escapes(run["explanation"]),
                                       "checks": without_escapes(run["checks"])} for run in session_dict["runs"]]}


def without_escapes(value):
    """`value` (a to_dict tree) with terminal escapes dropped from every string."""
    from gsmile_core.sanitize import strip_unsafe

    if isinstance(value, str):
        return strip_unsafe(value)
    if isinstance(value, dict):
        return {k: without_escapes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_escapes(v) for v in value]
    return value
