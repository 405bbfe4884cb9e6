"""This installation's own secrets, made at its first start.

A development or test installation (`make run`, `make test`) must not run on keys anyone can
read in the source: a published session key lets anyone forge a session for any user, and
published data keys decrypt a dump. So the first start writes random keys to
`instance/secrets.json` (outside git; the folder 0700, the file 0600) and every later start,
and every process of the installation (web workers, the scheduler, the CLI), reads the same
ones. A key set in the environment wins. Production reads its keys from the environment only
and refuses to start without them (config.ProductionConfig.check).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path

SECRETS_FILE = "secrets.json"

# Each installation secret and how a new one is made.
GENERATORS: dict[str, Callable[[], str]] = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(48),  # signs the session cookie
    "GRIDCASE_DATA_KEY": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),  # AES-256-GCM
    "GRIDCASE_LOOKUP_KEY": lambda: secrets.token_urlsafe(48),  # HMAC of ID numbers for look-ups
    "GRIDCASE_CHAIN_KEY": lambda: secrets.token_urlsafe(48),  # HMAC of the event log's links
}


def installation_secrets(instance_path: str | os.PathLike) -> dict[str, str]:
    """The installation's secrets, made and written on first use.

    Two processes starting at once agree: the file is created exclusively, and the loser reads
    what the winner wrote.
    """
    folder = Path(instance_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / SECRETS_FILE
    stored = _read(path)
    missing = {name: make() for name, make in GENERATORS.items() if name not in stored}
    if missing:
        stored = _write({**stored, **missing}, path)
    return stored


def _read(path: Path) -> dict[str, str]:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}


def _write(values: dict[str, str], path: Path) -> dict[str, str]:
    """Write `values` unless another process wrote the file first (then read theirs)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1)
    try:
        if path.exists():  # an older installation's file lacks a newer secret: complete it
            os.replace(temporary, path)
            return values
        try:
            os.link(temporary, path)  # atomic, and fails if another process got there first
        except FileExistsError:
            return _read(path)
        return values
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def fill_missing_secrets(config: dict, instance_path: str | os.PathLike) -> list[str]:
    """Put the installation's secrets into `config` where the environment set none; returns the
    names it filled."""
    missing = [name for name in GENERATORS if not config.get(name)]
    if missing:
        stored = installation_secrets(instance_path)
        for name in missing:
            config[name] = stored[name]
    return missing
