"""`gsmile keys set|delete|list`: API keys in the system keyring, never on the command line.

`set` reads the key from a hidden prompt (or from stdin when it is not a terminal, for scripts), so
the key never appears in argv, the shell history or `ps`. It refuses keyrings that cannot keep a
secret (none here, disabled, or a plaintext file) with what to do instead, and reads the key back
to prove it was stored. `list` shows, per provider, where the key would come from, its masked
form, and the base URL it would be sent to; never the key.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from rich.table import Table
from rich.text import Text

from . import COMMANDS
from .console import stderr_console, stdout_console
from ..errors import ConfigError
from ..backends.providers import PROVIDERS, resolve_base_url
from ..backends.secrets import Secret, keyring_delete, keyring_set, keyring_status, locate_key, mask_url


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "keys",
        help=COMMANDS["keys"],
        description="Manage API keys in the system keyring (service 'gsmile'). Environment "
        "variables (OPENAI_API_KEY, ANTHROPIC_API_KEY, TOGETHER_API_KEY, "
        "OPENAI_COMPATIBLE_API_KEY) take precedence over the keyring.",
    )
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION", parser_class=type(parser))
    providers = list(PROVIDERS)
    p_set = actions.add_parser("set", help="store a key (read from a hidden prompt or stdin)")
    p_set.add_argument("provider", choices=providers)
    p_set.add_argument(
        "--allow-insecure-keyring", action="store_true",
        help="store the key even if the keyring backend keeps it in a plaintext file",
    )
    p_delete = actions.add_parser("delete", help="remove a stored key")
    p_delete.add_argument("provider", choices=providers)
    actions.add_parser("list", help="where each provider's key comes from (masked) and where it is sent")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "keys_action", None)
    if action == "set":
        return _set(args.provider, args.allow_insecure_keyring)
    if action == "delete":
        return _delete(args.provider)
    if action == "list":
        return _list()
    raise ConfigError("say what to do: gsmile keys set|delete|list (see 'gsmile keys --help')")


def _read_key(provider_name: str) -> Secret:
    """The key from a hidden prompt, or the first line of stdin when stdin is not a terminal."""
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            return Secret(getpass.getpass(f"{provider_name} API key (input hidden): ", stream=sys.stderr))
        except EOFError:
            raise ConfigError("no key given") from None
    return Secret(sys.stdin.readline() if sys.stdin is not None else "")


def _set(provider_name: str, allow_insecure: bool) -> int:
    info = PROVIDERS[provider_name]
    status = keyring_status()
    if not status.usable:  # say so before asking for the key
        raise ConfigError(f"cannot save the key: {status.advice(info.key_env)}")
    secret = _read_key(provider_name)
    keyring_set(provider_name, secret, allow_insecure=allow_insecure)
    err = stderr_console(highlight=False)
    err.print(Text(f"saved the {info.label} key {secret.masked()} in the keyring ({status.backend}); read back and verified"))
    if os.environ.get(info.key_env, "").strip():
        err.print(Text(f"note: {info.key_env} is set in this environment and takes precedence over the keyring"))
    return 0


def _delete(provider_name: str) -> int:
    removed = keyring_delete(provider_name)
    err = stderr_console(highlight=False)
    if removed:
        err.print(Text(f"deleted the {PROVIDERS[provider_name].label} key from the keyring"))
        return 0
    raise ConfigError(f"no {provider_name} key is stored in the keyring")


def _destination(provider_name: str) -> str:
    try:
        url = mask_url(resolve_base_url(provider_name))
    except ConfigError as error:
        return f"invalid: {error}"
    return url or "the --base-url given to explain"


def _list() -> int:
    status = keyring_status()
    table = Table(title=None, show_edge=False, header_style="bold")
    table.add_column("provider", no_wrap=True)
    table.add_column("source", overflow="fold")
    table.add_column("key", no_wrap=True)
    table.add_column("sent to", no_wrap=True)
    for name in PROVIDERS:
        found = locate_key(name, status=status)
        # Text, not markup: keyring errors and base URLs come from outside gSMILE
        table.add_row(Text(name), Text(found.describe()), Text(found.masked), Text(_destination(name)))
    out = stdout_console(highlight=False)
    out.print(table)
    if status.usable and status.secure:
        out.print(Text(f"keyring: {status.backend}"))
    elif status.usable:
        out.print(Text(f"keyring: {status.backend}, insecure: {status.problem}"))
    else:
        out.print(Text(f"keyring: unusable: {status.problem}; use the environment variables"))
    return 0
