"""Headless Chromium (Debian's package) driven over the Chrome DevTools protocol: open a page, read its text.

No browser download and no Playwright: the ``websockets`` package already in the environment speaks
the protocol. Flags are the ones this machine needs (no sandbox as root, no background networking,
which the closed network would refuse).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from typing import AsyncIterator

import websockets

from tests.integration.chroma_server import free_port

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--window-size=1400,2200",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    def __init__(self, connection: websockets.ClientConnection) -> None:
        self._connection = connection
        self._next_id = 0

    async def call(self, method: str, **params: object) -> dict:  # type: ignore[type-arg]
        self._next_id += 1
        message_id = self._next_id
        await self._connection.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self._connection.recv())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    async def text(self) -> str:
        result = await self.call("Runtime.evaluate", expression="document.body ? document.body.innerText : ''", returnByValue=True)
        return str(result.get("result", {}).get("value", ""))

    async def wait_for_text(self, *needles: str, timeout: float = 45.0) -> str:
        """The page text once it holds every needle (an SPA renders and fetches for a while)."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = await self.text()
            if all(needle in text for needle in needles):
                return text
            await asyncio.sleep(0.5)
        raise AssertionError(f"page never showed {needles}; it shows:\n{text[:3000]}")

    async def screenshot(self, path: str) -> None:
        import base64

        data = (await self.call("Page.captureScreenshot", format="png"))["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))


@contextlib.asynccontextmanager
async def open_page(url: str) -> AsyncIterator[Page]:
    binary = chromium_path()
    if binary is None:
        raise RuntimeError("chromium is not installed")
    port = free_port()
    profile = tempfile.mkdtemp(prefix="triage-chromium-")
    process = subprocess.Popen(
        [binary, *FLAGS, f"--remote-debugging-port={port}", f"--user-data-dir={profile}", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        target = None
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + 30
        while target is None and time.monotonic() < deadline:
            try:
                with opener.open(f"http://127.0.0.1:{port}/json/list", timeout=2) as response:
                    target = next((t for t in json.load(response) if t.get("type") == "page"), None)
            except OSError:
                await asyncio.sleep(0.2)
        if target is None:
            raise RuntimeError("chromium did not expose a page over the DevTools protocol")
        async with websockets.connect(target["webSocketDebuggerUrl"], max_size=None, proxy=None) as connection:
            yield Page(connection)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)
