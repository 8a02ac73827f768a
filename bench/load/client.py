"""A small HTTP/1.1 client on asyncio: one connection per browser, nothing shared, so
that thousands of simulated raters cost the bench little CPU."""

import asyncio
import time
from urllib.parse import urlencode

HOST = "127.0.0.1"


class Connection:
    """A browser's connection to the server, opened when needed and reopened when the
    server has closed it (after each answer with sync workers, after --keep-alive idle
    seconds with gthread)."""

    def __init__(self, port: int, keep_alive: float) -> None:
        self.port = port
        self.idle_limit = max(0.0, keep_alive - 0.5)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0.0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, head: bytes, body: bytes):
        reused = self.writer is not None and time.monotonic() - self.used < self.idle_limit
        if not reused:
            self.close()
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        try:
            return await self._exchange(head, body)
        except (ConnectionError, asyncio.IncompleteReadError, EOFError):
            self.close()
            if not reused:
                raise
            # The server closed the idle connection as it was reused; a browser retries.
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            return await self._exchange(head, body)

    async def _exchange(self, head: bytes, body: bytes):
        assert self.reader is not None and self.writer is not None
        self.writer.write(head + body)
        line = await self.reader.readline()
        if not line:
            raise EOFError
        status = int(line.split()[1])
        headers: list[tuple[str, str]] = []
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.strip().lower(), value.strip()))
        fields = dict(headers)
        if "content-length" in fields:
            data = await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readline()
            await self.reader.readline()
            data = b"".join(chunks)
        else:
            data = await self.reader.read()
            fields["connection"] = "close"
        if fields.get("connection", "").lower() == "close":
            self.close()
        self.used = time.monotonic()
        return status, headers, data


class Browser:
    """One browser: its connection and its cookies."""

    def __init__(self, port: int, keep_alive: float) -> None:
        self.connection = Connection(port, keep_alive)
        self.cookies: dict[str, str] = {}

    async def fetch(self, method: str, path: str, form: dict | None = None):
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "Connection: keep-alive"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Origin: http://{HOST}",
                f"Referer: http://{HOST}{path}",
            ]
        lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        status, headers, data = await self.connection.request(head, body)
        location = None
        for name, value in headers:
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
            elif name == "location":
                location = value
        return status, location, data.decode()
