"""Long prompts in the TUI (issue #12): a prompt loaded from a file, the unit / keep / interactions
/ drill-down settings, a heatmap that scrolls and names its level, a coarse unit expanded to its
words, a sentence of the answer explained, and the interactions of a run. Pilot on the `fake`
backend, asserting on state, messages and the calls the backend received."""

from __future__ import annotations

from textual.widgets import Input, Label, Select, TextArea

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.config import ExplainConfig
from gsmile_tui.screens.prompt_file import PromptFileScreen
from gsmile_tui.widgets.answer import AnswerView
from gsmile_tui.widgets.heatmap import TokenHeatmap, docked_height, wrapped_row
from gsmile_tui.widgets.settings import RunSettings
from gsmile_tui.widgets.tables import InteractionsTable
from tui_helpers import PROMPT, CountingFactory, wait_until

# Uniform kernel (no prompt-to-prompt distances), few perturbations, no p-values: a 3,000-word
# prompt explains in seconds on the fake backend.
LONG = ExplainConfig(perturbations=16, bootstrap=0, ci_resamples=0, seed=0)
FILLER = "Plain words fill this sentence so that the prompt grows long enough here"


def long_prompt(sentences: int = 250, tag: str = "") -> str:
    """`sentences` sentences of 13 words; sentence 3 names the doctor and the ocean (the fake
    backend answers about them); the last one ends with a marker."""
    lines = [f"{FILLER} {tag}{i}." for i in range(sentences)]
    lines[2] = "Yesterday the doctor walked along the ocean before the clinic opened its doors."
    lines[-1] = "This closing sentence carries the marker ZEBRA at the very end."
    return " ".join(lines)


class RecordingBackend(FakeBackend):
    """The fake backend, keeping every prompt it was asked (to prove what was not asked)."""

    def __init__(self, **options):
        super().__init__(**options)
        self.asked: list[str] = []

    async def generate(self, prompt, params):
        self.asked.append(prompt)
        return await super().generate(prompt, params)


def prompt_area(app) -> TextArea:
    return app.main_screen.query_one("#prompt", TextArea)


async def run_once(app, pilot) -> None:
    before = len(app.session.runs)
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: len(app.session.runs) > before, "the run to finish", polls=6000)
    await pilot.pause()


async def open_file(app, pilot, path) -> PromptFileScreen:
    await pilot.press("ctrl+l")
    await wait_until(pilot, lambda: isinstance(app.screen, PromptFileScreen), "the prompt-file dialog")
    field = app.screen.query_one("#prompt-file-path", Input)
    field.value = str(path)
    await pilot.press("enter")
    await pilot.pause()
    return app.screen


# -- a prompt from a file ------------------------------------------------------------------------


async def test_a_bad_prompt_file_is_one_line_and_loses_nothing(make_app, tmp_path):
    binary = tmp_path / "image.bin"
    binary.write_bytes(b"GIF89a\x00\x01 words")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9 au lait".encode("latin-1"))
    huge = tmp_path / "huge.txt"
    huge.write_text("word " * 20_001, encoding="utf-8")
    cases = {
        tmp_path / "missing.txt": "does not exist",
        tmp_path: "is a folder",
        binary: "is binary",
        latin1: "is not UTF-8 text (byte 3 is 0xe9)",
        huge: "the prompt has 20001 words; the limit is 20000",
    }
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for path, expected in cases.items():
            dialog = await open_file(app, pilot, path)
            assert isinstance(app.screen, PromptFileScreen), f"{path.name}: the dialog closed"
            error = str(dialog.query_one("#prompt-file-error", Label).render())
            assert expected in error and "\n" not in error, error
            assert dialog.query_one("#prompt-file-path", Input).value == str(path)  # the path stays
            assert prompt_area(app).text == PROMPT  # the prompt is untouched
            await pilot.press("escape")
            await pilot.pause()
        assert not isinstance(app.screen, PromptFileScreen)
        assert prompt_area(app).text == PROMPT


async def test_a_prompt_file_replaces_the_prompt_with_escapes_stripped(make_app, tmp_path):
    path = tmp_path / "contract.txt"
    text = long_prompt(40)
    path.write_bytes(("\ufeff" + text.replace("doctor", "\x1b[31mdoctor\x1b[0m") + "\n").encode("utf-8"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_file(app, pilot, path)
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptFileScreen), "the dialog to close")
        assert prompt_area(app).text == text + "\n"  # byte-order mark and escapes gone
        assert app.main_screen.query_one("#tabs").active == "tab-prompt"
        # the dialog opens again with the path last loaded
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptFileScreen), "the dialog again")
        assert app.screen.query_one("#prompt-file-path", Input).value == str(path)


async def test_the_command_palette_opens_the_prompt_file_dialog(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"open a prompt file")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptFileScreen), "the dialog")
        assert app.focused is app.screen.query_one("#prompt-file-path", Input)


# -- the settings ------------------------------------------------------------------------------


async def test_unit_keep_interactions_and_drill_down_are_validated_next_to_their_fields(make_app, factory):
    app = make_app()
    async with app.run_test(size=(120, 50)) as pilot:
        settings = app.main_screen.query_one(RunSettings)
        settings.query_one("#field-keep", Input).value = "(unclosed"
        settings.query_one("#field-interactions", Input).value = "99"
        settings.query_one("#field-drill_down", Input).value = "-1"
        await pilot.pause()
        assert settings.validate() is None
        errors = {name: str(settings.query_one(f"#error-{name}", Label).render()) for name in ("keep", "interactions", "drill_down")}
        assert "not a valid regular expression" in errors["keep"]
        assert "at most 50" in errors["interactions"]
        assert "must be 0 (off)" in errors["drill_down"]
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert factory.built == [] and app.session.runs == ()
        assert app.focused is settings.query_one("#field-keep", Input)  # the first wrong field
        settings.query_one("#field-keep", Input).value = r"\d+"
        settings.query_one("#field-interactions", Input).value = "3"
        settings.query_one("#field-drill_down", Input).value = "x"
        await pilot.pause()
        assert "expected a whole number" in str(settings.query_one("#error-drill_down", Label).render())
        settings.query_one("#field-drill_down", Input).value = "2"
        settings.query_one("#field-unit", Select).value = "sentence"
        await pilot.pause()
        config = settings.validate()
        assert (config.unit, config.keep, config.interactions, settings.drill_down) == ("sentence", r"\d+", 3, 2)


async def test_a_drill_down_run_shows_both_levels_and_expands_without_asking_again(make_app, factory):
    app = make_app(prompt=long_prompt(12, "n"), config=LONG.with_changes(unit="sentence"))
    async with app.run_test(size=(120, 40)) as pilot:
        app.main_screen.query_one("#field-drill_down", Input).value = "1"
        app.main_screen.query_one("#field-keep", Input).value = r"\bn\d+"
        await pilot.pause()
        await run_once(app, pilot)
        explanation = app.session.runs[-1].explanation
        assert explanation.config["keep"] == r"\bn\d+"  # the form's pattern reached the run
        assert not any("n3" in feature.text for feature in explanation.features)  # never removed
        nested = explanation.extras["drill_down"]
        assert nested["level"] == "sentence" and len(nested["units"]) == 1
        heatmap = app.main_screen.heatmap
        assert "sentences" in app.main_screen.query_one("#heat-side").border_title
        calls = factory.calls
        heatmap.focus()
        heatmap.cursor = nested["units"][0]
        await pilot.press("enter")
        await pilot.pause()
        drill = app.main_screen.query_one("#drill-heatmap", TokenHeatmap)
        assert app.main_screen.query_one("#drill").display and drill.supports and factory.calls == calls  # no new call
        assert heatmap.expanded == nested["units"][0]


# -- the heatmap of a long prompt ----------------------------------------------------------------


async def test_a_long_prompt_scrolls_names_its_level_and_expands_a_sentence(make_app, tmp_path):
    factory = CountingFactory(RecordingBackend)
    path = tmp_path / "long.txt"
    text = long_prompt(250, "s")
    path.write_text(text, encoding="utf-8")
    app = make_app(prompt="", config=LONG, backend_factory=factory)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_file(app, pilot, path)
        await wait_until(pilot, lambda: prompt_area(app).text == text, "the prompt file")
        await run_once(app, pilot)
        explanation = app.session.runs[-1].explanation
        assert len(text.split()) > 3000 and len(explanation.features) == 250
        screen = app.main_screen
        heat_side, heatmap = screen.query_one("#heat-side"), screen.heatmap
        assert "sentences" in heat_side.border_title and "enter: words" in heat_side.border_title
        assert heatmap.level_name == "sentences"
        assert heat_side.max_scroll_y > 0  # taller than its pane
        heatmap.focus()
        await pilot.press("end")
        await wait_until(pilot, lambda: heat_side.scroll_y > 0, "the heatmap to scroll")
        # the selected unit's line stays in view at the pane's foot
        status = screen.query_one("#unit-status", Label)
        await wait_until(pilot, lambda: "sentence 250/250 · " in str(status.render()), "the unit status")
        assert heat_side.region.contains_region(status.region)
        # the last sentence is in view: its row lies in the visible part of the pane, above the foot
        await pilot.pause()
        row = heatmap.virtual_region.y + heatmap.cursor_row()
        visible = heat_side.scrollable_content_region.height - docked_height(heat_side)
        assert heat_side.scroll_y <= row < heat_side.scroll_y + visible
        await pilot.press("home")
        await wait_until(pilot, lambda: heat_side.scroll_y == 0, "the heatmap to scroll back")
        # sentence 3 (the doctor's) expanded: its words, the rest of the prompt kept whole
        await pilot.press("right", "right")
        assert heatmap.selected.feature.index == 2
        first_backend = factory.built[0]
        await pilot.press("enter")
        drill = screen.query_one("#drill-heatmap", TokenHeatmap)
        await wait_until(pilot, lambda: screen.query_one("#drill").display and drill.supports, "the words of sentence 3", polls=6000)
        await pilot.pause()
        # in view, at the foot of the heatmap pane, however long the prompt above it
        assert heat_side.region.contains_region(screen.query_one("#drill").region)
        sentence = explanation.features[2]
        words = [s.feature for s in drill.supports]
        assert [w.text for w in words] == sentence.text.split()
        assert all(w.level == "word" and sentence.start <= w.start and w.end <= sentence.end for w in words)
        assert heatmap.expanded == 2 and "▾" in heatmap.render().plain
        assert "sentence 3: its 13 words" in str(screen.query_one("#drill-title", Label).render())
        # only the sentence's words were removed; the original prompt came from the cache
        drill_backend = factory.built[-1]
        assert drill_backend is not first_backend
        assert explanation.prompt not in drill_backend.asked and drill_backend.asked
        outside = text[: sentence.start], text[sentence.end :]
        assert all(p.startswith(outside[0].rstrip()) and p.endswith(outside[1]) for p in drill_backend.asked)
        assert len(app.session.runs) == 1  # the words belong to the run, not a new one
        # enter again folds them; expanding again asks nothing
        heatmap.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert not screen.query_one("#drill").display and heatmap.expanded is None
        built = len(factory.built)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#drill").display and len(factory.built) == built


async def test_a_word_level_run_has_nothing_to_expand(make_app, factory):
    app = make_app(session=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        built = len(factory.built)
        heatmap = app.main_screen.heatmap
        assert heatmap.level_name == "words"
        assert not app.main_screen.query_one("#unit-status").display  # a short prompt: the detail shows
        assert "enter" not in app.main_screen.query_one("#heat-side").border_title
        heatmap.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert heatmap.expanded is None and len(factory.built) == built


# -- a sentence of the answer --------------------------------------------------------------------


async def test_a_sentence_of_the_answer_is_explained_as_the_answer_span(make_app, factory):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        first = app.session.runs[-1].explanation
        view = app.main_screen.query_one(AnswerView)
        assert len(view.sentences) == 2  # the fake answers with one sentence per trigger word
        view.focus()
        await pilot.press("down")
        chosen = view.selected
        assert chosen.startswith("Life is")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.session.runs) == 2, "the answer-span run", polls=6000)
        await pilot.pause()
        span_run = app.session.runs[-1].explanation
        assert span_run.config["answer_span"] == chosen and span_run.prompt == first.prompt
        assert span_run.extras["answer_span"]["span"] == chosen
        title = str(app.main_screen.query_one("#run-title", Label).render())
        assert "explains the answer span “Life is" in title
        assert view.highlight is not None and view.answer[slice(*view.highlight)] == chosen
        assert "span underlined" in app.main_screen.query_one("#answer-side").border_title
        # "life" drives the second sentence, "meaning" does not
        scores = dict(zip(span_run.words, span_run.attributions))
        assert scores["life?"] > abs(scores["meaning"])
        # the span belongs to that run only: reopened, the form does not take it; the next run
        # from the form explains the whole answer
        app.main_screen.session_opened()
        await pilot.pause()
        assert app.main_screen.settings.base_config.answer_span is None
        await pilot.press("f2")
        await run_once(app, pilot)
        assert app.session.runs[-1].explanation.config["answer_span"] is None


# -- interactions ------------------------------------------------------------------------------


async def test_the_interactions_of_a_run_are_in_the_metrics(make_app):
    prompt = "Tell me about the doctor and the ocean and the weather today please"
    app = make_app(prompt=prompt, config=LONG.with_changes(perturbations=64, interactions=4))
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        explanation = app.session.runs[-1].explanation
        found = explanation.extras["interactions"]
        assert found  # 4 top units: up to 6 pairs tested, the strongest 5 kept
        await pilot.press("f5")
        await pilot.pause()
        table = app.main_screen.query_one(InteractionsTable)
        assert table.row_count == len(found)
        first = [str(cell) for cell in table.get_row_at(0)]
        words = explanation.words
        assert first[0] == f"#{found[0]['first'] + 1} {words[found[0]['first']]}"
        assert first[2] == found[0]["kind"]
        assert first[5] == f"{found[0]['p_adjusted']:.3f}"


async def test_unit_texts_in_the_interactions_table_are_plain_text(make_app):
    prompt = "doctor [@click=app.quit] ocean \x1b[31mweather"
    app = make_app(prompt=prompt, config=LONG.with_changes(perturbations=64, interactions=4))
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        await pilot.press("f5")
        await pilot.pause()
        table = app.main_screen.query_one(InteractionsTable)
        cells = [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]
        assert any(cell == "#2 [@click=app.quit]" for cell in cells)  # 4 units: every pair tested
        assert not any("\x1b" in cell for cell in cells)
        await pilot.click(InteractionsTable, offset=(4, 1))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_a_long_answer_scrolls_to_the_chosen_sentence(make_app):
    rules = {f"topic{i}": f"Answer sentence number {i} talks about its own topic at some length." for i in range(60)}
    factory = CountingFactory(lambda **options: FakeBackend(rules=rules, **options))
    prompt = " ".join(f"topic{i}" for i in range(60))
    app = make_app(prompt=prompt, config=LONG.with_changes(max_tokens=2000), backend_factory=factory)
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        view, pane = app.main_screen.query_one(AnswerView), app.main_screen.query_one("#answer-side")
        assert len(view.sentences) == 60 and pane.max_scroll_y > 0
        view.focus()
        for _ in range(59):
            await pilot.press("down")
        assert view.selected.startswith("Answer sentence number 59")
        await wait_until(pilot, lambda: pane.scroll_y > 0, "the answer pane to scroll")
        start, _ = view.sentences[view.cursor]
        row = view.virtual_region.y + wrapped_row(view.answer[: start + len("Answer")], view.content_size.width)
        assert pane.scroll_y <= row < pane.scroll_y + pane.scrollable_content_region.height
