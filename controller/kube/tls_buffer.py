"""A smaller read buffer for every TLS connection asyncio opens: 32 KiB instead of 256 KiB.

Why: asyncio's `SSLProtocol` allocates (and zero-fills, so it is resident) a read buffer of
`SSLProtocol.max_size` = 256 KiB per TLS connection for the connection's whole life. The controller
keeps one connection per watch to the API server plus a pool for its writes, and a pool to AWS:
at 100 routes that was ~60 connections, 7-15 MiB of RSS in buffers alone. A TLS record is at most
16 KiB, so a 32 KiB buffer still takes whole records per read; a large LIST answer just takes more
reads. There is no per-connection setting (aiohttp and aiobotocore open connections through
`loop.create_connection`), so this sets the class attribute once, at start-up of `latticegw run`.
"""

from __future__ import annotations

from asyncio import sslproto

READ_BUFFER = 32 * 1024


def shrink(size: int = READ_BUFFER) -> None:
    """Use `size`-byte TLS read buffers for connections opened from now on (never grows them)."""
    if sslproto.SSLProtocol.max_size > size:
        sslproto.SSLProtocol.max_size = size
