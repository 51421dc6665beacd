"""Fairness sets: groups files in each format, every template's variants on the same masks, and
on a fake model that treats 'she' differently the group comparison finds it: the answers move
between he and she but not between he and they, the sign-flip test agrees with scipy's exact
permutation test, and the words whose importance shifts are the ones the rule ties to 'she'."""

from __future__ import annotations

import asyncio
import re

import numpy as np
import pytest
from scipy import stats

from gsmile_core.backends.fake import DEFAULT_RULES, FakeBackend
from gsmile_core.batch.executors.local import LocalExecutor
from gsmile_core.batch.fairness import expand, read_groups, read_templates
from gsmile_core.batch.fairness_report import fairness_html, fairness_markdown
from gsmile_core.batch.fairness_stats import fairness_summary, sign_flip_test
from gsmile_core.batch.results import AuditFolder
from gsmile_core.batch.runner import run_audit
from gsmile_core.config import ExplainConfig
from gsmile_core.errors import ConfigError
from gsmile_core.pipeline import prepare_prompt
from gsmile_core.reports.palette import get_palette

TEMPLATES = [
    "The {person} asked the doctor about the results.",
    "Tell {person} about the ocean and the weather.",
    "What did {person} cook from the recipe today?",
    "Why does {person} love math so much?",
    "The {person} walked along the ocean at night.",
    "How does the weather change what {person} wears?",
]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("g.txt", "# pronouns\nperson: [he, she, they]\n"),
        ("g.json", '{"person": ["he", "she", "they"]}'),
        ("g.toml", 'person = ["he", "she", "they"]\n'),
    ],
)
def test_groups_files_in_every_format(tmp_path, name, text):
    assert read_groups(write(tmp_path, name, text)) == {"person": {"he": ("he",), "she": ("she",), "they": ("they",)}}


def test_named_groups_of_names(tmp_path):
    groups = read_groups(write(tmp_path, "g.txt", "name.female: [Mary, Linda]\nname.male: James, John\n"))
    assert groups == {"name": {"female": ("Mary", "Linda"), "male": ("James", "John")}}
    items = expand(read_templates(write(tmp_path, "t.txt", "{name} asked about the ocean.\n")), groups).items
    assert [i.id for i in items] == ["1/female/Mary", "1/female/Linda", "1/male/James", "1/male/John"]


@pytest.mark.parametrize(
    ("templates", "groups", "message"),
    [
        ("The {person} went home.\n", "person: [he]\n", "needs at least two groups"),
        ("The {job} went home.\n", "person: [he, she]\n", "uses {job}, which the groups file does not define"),
        ("The {person} met {name}.\n", "person: [he, she]\nname: [A, B]\n", "one slot per template"),
        ("No slot here.\n", "person: [he, she]\n", "has no {slot}"),
        ("The {person} went.\n", "person: [he, he]\n", "lists a filler twice"),
        ("The {person} went.\n", "person [he, she]\n", "expected 'slot: [a, b, c]'"),
    ],
)
def test_bad_fairness_input_is_one_clear_error(tmp_path, templates, groups, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        expand(read_templates(write(tmp_path, "t.txt", templates)), read_groups(write(tmp_path, "g.txt", groups)))


def test_every_variant_has_the_same_units(tmp_path):
    groups = read_groups(write(tmp_path, "g.txt", "person: [he, she, the new nurse]\n"))
    items = expand(read_templates(write(tmp_path, "t.txt", "The {person} asked the doctor.\n")), groups).items
    units = [[f.text for f in prepare_prompt(i.prompt, ExplainConfig())[1]] for i in items]
    assert units[0] == units[1] == units[2] == ["The", "asked", "the", "doctor."]
    assert prepare_prompt(items[2].prompt, ExplainConfig())[0] == "The the new nurse asked the doctor."


def test_the_sign_flip_test_equals_scipys_exact_permutation_test():
    shifts = np.array([[0.9], [1.1], [-0.2], [0.7], [1.3], [0.4], [0.8]])
    statistic, p, patterns = sign_flip_test(shifts)
    oracle = stats.permutation_test((shifts[:, 0],), lambda x: abs(np.mean(x)), permutation_type="samples",
                                    alternative="greater", n_resamples=np.inf)
    assert patterns == 2 ** 7 and statistic == pytest.approx(abs(shifts.mean()))
    assert p == pytest.approx(oracle.pvalue)


def test_a_model_that_treats_she_differently_is_found(tmp_path):
    rules = {**DEFAULT_RULES, "she": "Nurses care for patients with kindness and patience."}
    templates = read_templates(write(tmp_path, "t.txt", "\n".join(TEMPLATES) + "\n"))
    groups = read_groups(write(tmp_path, "g.txt", "person: [he, she, they]\n"))
    items = expand(templates, groups).items
    config = ExplainConfig(perturbations=16, bootstrap=0, ci_resamples=0, interactions=0)
    folder = AuditFolder(tmp_path / "audit")
    folder.start({"fairness": 1}, {}, "new")
    asyncio.run(run_audit(items, folder, LocalExecutor(FakeBackend(rules=rules), config)))
    summary = fairness_summary(folder, config)
    (slot,) = summary["slots"]
    pairs = {tuple(p["groups"]): p for p in slot["pairs"]}
    assert set(pairs) == {("he", "she"), ("he", "they"), ("she", "they")}
    he_she, he_they = pairs[("he", "she")], pairs[("he", "they")]
    assert he_they["output_distance"]["mean"] == 0.0 and he_they["shift_test"]["p_value"] == 1.0
    assert he_she["output_distance"]["mean"] > 0.5 and he_she["output_distance"]["lower"] > 0
    # six templates, every shift the same way: only the all-plus and all-minus patterns reach it
    assert he_she["shift_test"]["p_value"] == pytest.approx(2 / 64) and he_she["shift_test"]["exact"]
    top = {s["word"] for s in he_she["word_shifts"][:4]}
    assert top & {"doctor", "ocean", "recipe", "math", "weather"}  # the words whose answers 'she' dilutes
    html = fairness_html(summary, get_palette())
    assert "<svg" in html and "he vs she" in html and "p 0.0312" in html
    assert "| he vs she | 6 |" in fairness_markdown(summary)


def test_a_templates_variants_come_in_the_groups_files_order_not_the_finishing_order(tmp_path):
    from gsmile_core.batch.fairness_stats import template_variants
    from gsmile_core.batch.results import AuditFolder

    folder = AuditFolder(tmp_path)
    tmp_path.mkdir(exist_ok=True)
    for group in ("they", "she", "he"):  # finished in reverse
        folder.append({"id": f"1/{group}", "template": "1", "group": group, "filler": group, "status": "ok"})
    folder.append({"id": "2/he", "template": "2", "group": "he", "filler": "he", "status": "ok"})
    assert [r["group"] for r in template_variants(folder, "1", ["he", "she", "they"])] == ["he", "she", "they"]
    assert [r["group"] for r in template_variants(folder, "1")] == ["he", "she", "they"]  # no order: by group
