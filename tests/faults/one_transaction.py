"""A wire-protocol proxy that lets several processes share one nx-27017 as they would share MongoDB.

The stand-in runs every session's transaction on one SQLite connection: a second client's transaction nests
inside the first as a savepoint, sees its uncommitted writes and dies with it, and a client killed
mid-transaction leaves it open for everyone after. MongoDB isolates transactions and aborts a dead client's.
Between the processes and the stand-in, this proxy gives them that much: while one session has a transaction
open, commands of every other session wait (monitoring, which carries no session, passes), and a
connection that closes with its session's transaction open has it aborted. Tests only: product code talks
to MongoDB and never knows.
"""

import asyncio
import contextlib
import struct
from dataclasses import dataclass, field
from typing import Any

import bson
from bson.int64 import Int64

OP_MSG = 2013
_HEADER = struct.Struct("<iiii")  # messageLength, requestID, responseTo, opCode


@dataclass
class _Transaction:
    lsid: Any
    txn_number: int
    connection: object  # the client connection it was begun on: if that one closes, the client is gone
    finishing: int | None = None  # the request id of its commit or abort, once sent


@dataclass
class OneTransactionAtATime:
    target_port: int
    port: int = 0
    aborted: int = 0  # transactions of dead clients this proxy ended
    _open: _Transaction | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _server: asyncio.Server | None = None

    async def start(self) -> "OneTransactionAtATime":
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        connection = object()
        upstream = asyncio.create_task(self._from_client(connection, client_reader, server_writer))
        downstream = asyncio.create_task(self._from_server(connection, server_reader, client_writer))
        await asyncio.wait([upstream, downstream], return_when=asyncio.FIRST_COMPLETED)
        upstream.cancel()
        downstream.cancel()
        await asyncio.gather(upstream, downstream, return_exceptions=True)
        async with self._changed:
            transaction = self._open
            if transaction is not None and transaction.connection is connection:
                await self._abort(transaction)
        for writer in (client_writer, server_writer):
            writer.transport.abort()

    async def _from_client(self, connection: object, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> None:
        while message := await _read(reader):
            command = _command(message)
            lsid = command.get("lsid", {}).get("id") if command else None
            if lsid is not None:
                async with self._changed:
                    await self._changed.wait_for(lambda lsid=lsid: self._open is None or self._open.lsid == lsid)
                    if command.get("startTransaction"):
                        self._open = _Transaction(lsid, int(command["txnNumber"]), connection)
                    elif self._open is not None and ("commitTransaction" in command or "abortTransaction" in command):
                        self._open.finishing = _HEADER.unpack_from(message)[1]
            writer.write(message)
            await writer.drain()

    async def _from_server(self, connection: object, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> None:
        while message := await _read(reader):
            writer.write(message)
            await writer.drain()
            transaction = self._open
            if transaction is not None and transaction.finishing == _HEADER.unpack_from(message)[2]:
                async with self._changed:
                    self._open = None
                    self._changed.notify_all()

    async def _abort(self, transaction: _Transaction) -> None:
        """On a connection of our own to the server: the client's is gone (called holding `_changed`)."""
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            reader, writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            body = bson.encode({"abortTransaction": 1, "lsid": {"id": transaction.lsid},
                                "txnNumber": Int64(transaction.txn_number), "autocommit": False, "$db": "admin"})
            payload = struct.pack("<I", 0) + b"\x00" + body
            writer.write(_HEADER.pack(_HEADER.size + len(payload), 1, 0, OP_MSG) + payload)
            await writer.drain()
            await _read(reader)
            writer.transport.abort()
        self.aborted += 1
        self._open = None
        self._changed.notify_all()


async def _read(reader: asyncio.StreamReader) -> bytes | None:
    try:
        header = await reader.readexactly(_HEADER.size)
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    length = _HEADER.unpack(header)[0]
    try:
        return header + await reader.readexactly(length - _HEADER.size)
    except (asyncio.IncompleteReadError, ConnectionError):
        return None


def _command(message: bytes) -> dict[str, Any] | None:
    """The body of an OP_MSG (its kind-0 section, which drivers send first); None for anything else."""
    if _HEADER.unpack_from(message)[3] != OP_MSG or message[_HEADER.size + 4] != 0:
        return None
    start = _HEADER.size + 5
    length = struct.unpack_from("<i", message, start)[0]
    return bson.decode(message[start:start + length])
