"""Reading HTTP/1.1 responses off an asyncio stream: the part the bench load clients share.

The clients speak HTTP/1.1 over raw asyncio streams (no third-party packages: the machines reach
no PyPI) and keep connections alive, so each needs the status, the headers and exactly the body's
bytes. Imported by the *-load.py scripts next to this file (Python puts the script's folder first
on sys.path).
"""


async def read_headers(reader):
    """The header lines after a status or request line, up to the blank line; names lower-cased."""
    headers = {}
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


async def read_head(reader):
    """(status, headers) of one response; header names lower-cased. ConnectionError on garbage."""
    line = await reader.readline()
    parts = line.split()
    if len(parts) < 2 or not parts[1].isdigit():
        raise ConnectionError(f"bad status line {line[:80]!r}")
    return int(parts[1]), await read_headers(reader)


async def read_body(reader, headers):
    """The whole body of a message whose headers were read: Content-Length or chunked (a request's too)."""
    body = b""
    async for piece in body_pieces(reader, headers):
        body += piece
    return body


async def read_response(reader):
    """(status, headers, body) of one response; Content-Length or chunked."""
    status, headers = await read_head(reader)
    return status, headers, await read_body(reader, headers)


async def body_pieces(reader, headers):
    """The body of a response whose head was read, piece by piece as it arrives (an async generator):
    chunk by chunk when chunked, else the Content-Length bytes at once (the read ends exactly at the
    body's end, so the connection can be reused). For streamed answers (SSE), where the time of the
    first piece matters."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                return
            piece = await reader.readexactly(size)
            await reader.readexactly(2)
            yield piece
    else:
        yield await reader.readexactly(int(headers.get("content-length", "0")))
