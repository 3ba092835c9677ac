"""A persistent cache of judge replies, with single-flight filling.

A reply is stored under a key made of the backend's identity (provider, model, sampling
parameters), the system message, the exact prompt and the sha256 of every image sent, so
asking the same question again costs nothing. Identical requests that arrive while the first
is still waiting for the backend share its single call. Failed calls are not stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from judge.errors import ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    judge TEXT NOT NULL,
    raw TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


def canonical_sha256(value: object) -> str:
    """sha256 of ``value`` as canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def cache_key(
    identity: Mapping[str, object], prompt: str, images: Sequence[bytes], *, system: str | None
) -> str:
    """sha256 over the backend identity, the system message, the prompt and the images'
    sha256s, in order."""
    return canonical_sha256(
        {
            "backend": identity,
            "system": system,
            "prompt": prompt,
            "images": [hashlib.sha256(image).hexdigest() for image in images],
        }
    )


class ReplyCache:
    """SQLite-backed ``key -> raw reply`` store; safe to share between processes (WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 5000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"JUDGE_CACHE_PATH={path}: cannot open the cache ({exc})") from exc
        self._in_flight: dict[str, asyncio.Task[str]] = {}

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT raw FROM replies WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, judge: str, raw: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO replies (key, judge, raw, created_at) VALUES (?, ?, ?, ?)",
            (key, judge, raw, time.time()),
        )

    def __len__(self) -> int:
        (count,) = self._db.execute("SELECT COUNT(*) FROM replies").fetchone()
        return int(count)

    async def fetch(
        self, key: str, judge: str, ask: Callable[[], Awaitable[str]]
    ) -> tuple[str, bool]:
        """The stored reply, or ``ask()``'s (stored on success); and whether ``ask`` was
        spared, i.e. the reply came from the cache or from an identical call in flight."""
        stored = self.get(key)
        if stored is not None:
            return stored, True
        flight = self._in_flight.get(key)
        if flight is not None:
            return await asyncio.shield(flight), True
        flight = asyncio.create_task(self._ask_and_store(key, judge, ask))
        self._in_flight[key] = flight
        flight.add_done_callback(lambda done: self._land(key, done))
        # Shielded: a caller that goes away does not cancel the call others are waiting on.
        return await asyncio.shield(flight), False

    async def _ask_and_store(self, key: str, judge: str, ask: Callable[[], Awaitable[str]]) -> str:
        raw = await ask()
        self.put(key, judge, raw)
        return raw

    def _land(self, key: str, flight: asyncio.Task[str]) -> None:
        self._in_flight.pop(key, None)
        if not flight.cancelled():
            flight.exception()  # marks it retrieved even if every waiter went away

    def close(self) -> None:
        for flight in self._in_flight.values():
            flight.cancel()
        self._db.close()
