"""The audit's input: JSONL, CSV and text read into items; every bad input one clear error naming
its line (or skipped, when the user chose so); ids unique; an empty file refused."""

from __future__ import annotations

import pytest

from gsmile_core.batch.reader import BadLine, read_prompts
from gsmile_core.errors import ConfigError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_with_system_prompt_and_expected_keywords(tmp_path):
    path = write(tmp_path, "set.jsonl",
                 '{"id": "a", "prompt": "What is the meaning of life?", "expected": ["meaning", "life"]}\n'
                 "\n"
                 '{"id": 7, "prompt": "Tell me about the ocean", "system_prompt": "Be brief.", "expected": "ocean"}\n')
    items = read_prompts(path).items
    assert [(i.id, i.line) for i in items] == [("a", 1), ("7", 3)]
    assert items[0].expected == ("meaning", "life") and items[1].expected == ("ocean",)
    assert items[1].system_prompt == "Be brief."


def test_csv_by_header_and_text_by_line_number(tmp_path):
    csv_path = write(tmp_path, "set.csv", 'id,prompt,expected,notes\np1,"Hello, doctor",doctor,x\np2,The ocean,ocean;the,y\n')
    items = read_prompts(csv_path).items
    assert [(i.id, i.prompt, i.expected) for i in items] == [("p1", "Hello, doctor", ("doctor",)), ("p2", "The ocean", ("ocean", "the"))]
    text_path = write(tmp_path, "set.txt", "first prompt\n\n  \nthird line prompt\n")
    assert [(i.id, i.prompt) for i in read_prompts(text_path).items] == [("1", "first prompt"), ("4", "third line prompt")]


def test_a_broken_jsonl_line_stops_with_its_line_number(tmp_path):
    path = write(tmp_path, "set.jsonl", '{"id": "a", "prompt": "one"}\n{"id": "b", "prompt": \n{"id": "c", "prompt": "three"}\n')
    with pytest.raises(BadLine) as caught:
        read_prompts(path)
    message = str(caught.value)
    assert "line 2: not valid JSON" in message and "--on-bad-line skip" in message


def test_a_broken_line_is_skipped_when_the_user_chose_so(tmp_path):
    path = write(tmp_path, "set.jsonl", '{"id": "a", "prompt": "one"}\n[1, 2]\n{"id": "c"}\n{"id": "d", "prompt": "four"}\n')
    found = read_prompts(path, on_bad_line="skip")
    assert [i.id for i in found.items] == ["a", "d"]
    assert len(found.skipped) == 2
    assert "line 2: expected a JSON object" in found.skipped[0] and "line 3: no prompt" in found.skipped[1]


def test_duplicate_ids_name_both_lines(tmp_path):
    path = write(tmp_path, "set.csv", "id,prompt\nx,one\ny,two\nx,three\n")
    with pytest.raises(BadLine, match=r"line 4: duplicate id 'x' \(first on line 2\)"):
        read_prompts(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", "", "holds no prompt"),
        ("blank.jsonl", "\n  \n", "holds no prompt"),
        ("bad.csv", "name,text\na,b\n", "must name the columns id and prompt"),
        ("binary.txt", "a\x00b", "binary"),
    ],
)
def test_unusable_files_are_one_clear_error(tmp_path, name, content, message):
    with pytest.raises(ConfigError, match=message):
        read_prompts(write(tmp_path, name, content))


def test_a_missing_file_and_a_bad_encoding(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_prompts(tmp_path / "nope.txt")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_prompts(latin)
