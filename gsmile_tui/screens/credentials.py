"""Credentials: each provider's key source (this session only / environment / keyring /
missing) with the key masked; save or delete through the keyring from a worker thread; when no
secure keyring exists, say so and offer only a this-session-only key (nothing on the screen
offers to save into a keyring that is not there).

The typed key stays in the password Input's value until it is wrapped in a `Secret` (masked
repr) inline and the Input is cleared: no plain local variable holds it.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label

from gsmile_core.errors import ConfigError
from gsmile_core.sanitize import one_line
from gsmile_core.backends.secrets import KeyringStatus, Secret, keyring_delete, keyring_set, keyring_status

from ..key_status import KeyRow, key_rows, keyring_sentence
from ..widgets.secret_input import SecretInput


class CredentialsScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("f2", "session_only", "Use for this session only", priority=True),
        Binding("f3", "delete", "Delete from keyring", priority=True),
        Binding("f4", "forget", "Forget session key", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__(id="credentials")
        self.rows: list[KeyRow] = []
        self.status: KeyringStatus | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="≋")
        yield Label("checking the keyring…", id="keyring-status", markup=False)
        yield DataTable(id="keys-table", cursor_type="row", zebra_stripes=True)
        yield Label("Key for the selected provider:", id="key-prompt", classes="section", markup=False)
        yield SecretInput(placeholder="paste the API key", id="key-input")
        yield Label("", id="keys-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title, self.sub_title = "gSMILE", "provider credentials"
        self.query_one(DataTable).add_columns("provider", "key source", "key", "sent to")
        self.reload()
        self.query_one(DataTable).focus()

    def message(self, text: str, error: bool = False) -> None:
        label = self.query_one("#keys-message", Label)
        label.update(text)
        label.set_class(error, "error-text")

    # -- reading -------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="keys")
    def reload(self) -> None:
        status = keyring_status()
        rows = key_rows(self.app.session_keys, status)
        self.app.call_from_thread(self.show, status, rows)

    @property
    def keyring_usable(self) -> bool:
        return self.status is not None and self.status.usable and self.status.secure

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete":  # no keyring: nothing to delete from (hidden, not offered)
            return self.keyring_usable
        return True

    def show(self, status: KeyringStatus, rows: list[KeyRow]) -> None:
        self.status, self.rows = status, rows
        self.query_one("#keyring-status", Label).update(keyring_sentence(status))
        self.query_one("#key-prompt", Label).update(
            "Key for the selected provider (enter saves it in the keyring; f2 uses it for this session only):"
            if self.keyring_usable
            else "Key for the selected provider (f2 uses it for this session only; there is no keyring to save it in):"
        )
        self.refresh_bindings()
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for row in rows:
            table.add_row(Text(row.provider), Text(row.source), Text(row.masked), Text(one_line(row.destination, 50)))
        if cursor is not None and cursor < len(rows):
            table.move_cursor(row=cursor)

    @property
    def provider(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None:
            return None
        return self.rows[table.cursor_row].provider

    def _take_key(self) -> Secret | None:
        """The typed key as a Secret (the Input is cleared), or None after saying what is wrong."""
        field = self.query_one("#key-input", SecretInput)
        try:
            secret = Secret(field.value)
        except ConfigError as error:
            self.message(str(error), error=True)
            return None
        finally:
            field.value = ""
        return secret

    # -- changing ------------------------------------------------------------------------------
    def on_secret_input_entered(self, event: SecretInput.Entered) -> None:
        provider = self.provider
        if provider is None:
            return
        if self.status is not None and not (self.status.usable and self.status.secure):
            self.message(
                f"not saved: {keyring_sentence(self.status)} Press f2 to use a key for this session only.",
                error=True,
            )
            return
        secret = self._take_key()
        if secret is not None:
            self.message(f"saving the {provider} key in the keyring…")
            self.store(provider, secret)

    @work(thread=True, exclusive=True, group="keys-write")
    def store(self, provider: str, secret: Secret) -> None:
        try:
            keyring_set(provider, secret)
        except ConfigError as error:
            self.app.call_from_thread(self.message, str(error), True)
            return
        self.app.call_from_thread(self.message, f"{provider} key saved in the keyring ({secret.masked()})")
        self.reload()

    def action_session_only(self) -> None:
        provider = self.provider
        if provider is None:
            return
        secret = self._take_key()
        if secret is not None:
            self.app.session_keys[provider] = secret
            self.message(f"{provider}: using {secret.masked()} for this session only (never written anywhere)")
            self.reload()

    def action_forget(self) -> None:
        provider = self.provider
        if provider is not None and self.app.session_keys.pop(provider, None) is not None:
            self.message(f"{provider}: this-session key forgotten")
            self.reload()

    def action_delete(self) -> None:
        provider = self.provider
        if provider is not None:
            self.message(f"deleting the {provider} key from the keyring…")
            self.delete_key(provider)

    @work(thread=True, exclusive=True, group="keys-write")
    def delete_key(self, provider: str) -> None:
        try:
            removed = keyring_delete(provider)
        except ConfigError as error:
            self.app.call_from_thread(self.message, str(error), True)
            return
        text = f"{provider} key deleted from the keyring" if removed else f"no {provider} key was in the keyring"
        self.app.call_from_thread(self.message, text)
        self.reload()
