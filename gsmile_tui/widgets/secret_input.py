"""A password field whose messages never carry what was typed.

Textual's `Input` posts `Input.Changed` on every keystroke and `Input.Submitted` on enter, and
both are dataclasses whose repr includes `value`: a crash while one is in flight would print the
API key on the crash screen. This field posts neither; enter posts `SecretInput.Entered`, which
holds nothing, and the screen wraps `value` in a `Secret` inline and clears the field.
"""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Input


class SecretInput(Input):
    class Entered(Message):
        """Enter was pressed in the field (read the field, not the message)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(password=True, **kwargs)

    def post_message(self, message: Message) -> bool:
        if isinstance(message, Input.Submitted):
            return super().post_message(self.Entered())
        if isinstance(message, Input.Changed):
            return False
        return super().post_message(message)
