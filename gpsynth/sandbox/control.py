"""The control port: how other gpsynth commands on this machine work with the store a sandbox is serving.

A loopback TCP port, announced with a secret token in the store's live folder (see
gpsynth.store.served), taking one line `<token> <command>` and answering one line, `ok …` or
`error: …`:
- `lease`: fold the live book into the store and let other processes read it; the lease lasts until
  the command closes the connection (or dies);
- `checkpoint`: fold the live book into the store now;
- `refresh YYYY-MM-DD`: roll the horizon forward to that day, as `gpsynth refresh` does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date
from secrets import compare_digest

from ..errors import GpsynthError
from .live_book import LiveBook

log = logging.getLogger(__name__)


class ControlPort:
    def __init__(self, book: LiveBook, token: str, refresh: Callable[[date], Awaitable[str]]):
        self.book, self.token, self.refresh = book, token, refresh
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen on a free loopback port; the port."""
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            token, _, command = (await reader.readline()).decode(errors="replace").strip().partition(" ")
            if not compare_digest(token.encode(), self.token.encode()):
                await self._answer(writer, "error: wrong control token")
                return
            verb, _, argument = command.partition(" ")
            if verb == "lease":
                await self.book.lease()
                try:
                    await self._answer(writer, "ok")
                    await reader.read()          # until the command closes the connection
                finally:
                    self.book.release()
            elif verb == "checkpoint":
                await self._answer(writer, f"ok {await self.book.checkpoint()} changes folded")
            elif verb == "refresh":
                await self._answer(writer, f"ok {await self.refresh(date.fromisoformat(argument))}")
            else:
                await self._answer(writer, f"error: unknown control command {verb!r}")
        except (GpsynthError, ValueError) as exc:
            await self._answer(writer, f"error: {exc}")
        except Exception:
            log.exception("control command failed")
            await self._answer(writer, "error: the sandbox failed to do it; see its log")
        finally:
            writer.close()

    @staticmethod
    async def _answer(writer: asyncio.StreamWriter, line: str) -> None:
        writer.write(line.replace("\n", " ").encode() + b"\n")
        try:
            await writer.drain()
        except ConnectionError:
            pass

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
