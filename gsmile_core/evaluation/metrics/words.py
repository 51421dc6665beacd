"""How a prompt word is compared across prompts and against labels: its identity.

A feature's text keeps its punctuation ("life?") because that is what the model saw; for matching
a word to a ground-truth label or to the same word in an edited prompt, case and surrounding
punctuation are ignored ("Life?" and "life" are the same word).
"""

from __future__ import annotations

import re

_EDGE_PUNCTUATION = re.compile(r"^[^\w]+|[^\w]+$", re.UNICODE)


def word_identity(text: str) -> str:
    """Lower-cased word with leading and trailing punctuation removed ("Life?" -> "life")."""
    stripped = _EDGE_PUNCTUATION.sub("", text.lower())
    return stripped or text.lower()
