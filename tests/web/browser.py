"""Headless Chromium driven over the DevTools protocol (aiohttp's WebSocket client).

The page's WebSocket is wrapped before any script runs, so the test reads what the browser
received from the dashboard (the terminal's output), and a screenshot shows what it drew.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

# Every frame the page's sockets receive, kept as text (binary frames decoded as UTF-8).
CAPTURE = """
(() => {
  window.__received = [];
  const Original = window.WebSocket;
  window.WebSocket = function (...args) {
    const socket = new Original(...args);
    socket.addEventListener("message", (event) => {
      if (typeof event.data === "string") { window.__received.push(event.data); return; }
      const push = (buffer) => window.__received.push(new TextDecoder().decode(buffer));
      if (event.data instanceof ArrayBuffer) { push(event.data); }
      else if (event.data && event.data.arrayBuffer) { event.data.arrayBuffer().then(push); }
    });
    return socket;
  };
  window.WebSocket.prototype = Original.prototype;
  Object.assign(window.WebSocket, Original);
})();
"""
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def chromium() -> str:
    """The browser's path; the suite needs it (``.ci/run`` installs Debian's ``chromium``)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    raise AssertionError("the browser test needs Chromium: apt-get install chromium")


class Page:
    """One tab, spoken to over its DevTools WebSocket."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self._ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command; wait for its answer (events on the way are skipped)."""
        number = next(self._ids)
        await self.socket.send_json({"id": number, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self.socket.receive_json(), timeout=30)
            if message.get("id") == number:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    async def received_text(self) -> str:
        """What the page's sockets received so far, escape sequences removed."""
        result = await self.call(
            "Runtime.evaluate", expression="window.__received.join('')", returnByValue=True
        )
        return ANSI.sub("", str(result["result"].get("value", "")))

    async def deliveries(self) -> list[str]:
        """The keys of the files the dashboard sent to the browser (``deliver_file_start``)."""
        result = await self.call(
            "Runtime.evaluate",
            expression="window.__received.filter(f => f.startsWith('[\"deliver_file_start'))",
            returnByValue=True,
        )
        return [json.loads(frame)[1] for frame in result["result"].get("value", [])]

    async def screenshot(self, path: Path) -> Path:
        """A PNG of the page."""
        shot = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


@contextlib.asynccontextmanager
async def open_page(
    url: str, downloads: Path, width: int = 1280, height: int = 800
) -> AsyncIterator[Page]:
    """Chromium, headless, with one tab on ``url``; what it downloads goes to ``downloads``."""
    profile = tempfile.mkdtemp(prefix="sm-tui-chromium-")
    # a user lets the page download several files at once (the export's four) when asked once
    settings = {"profile": {"default_content_setting_values": {"automatic_downloads": 1}}}
    (Path(profile) / "Default").mkdir()
    (Path(profile) / "Default" / "Preferences").write_text(json.dumps(settings))
    process = subprocess.Popen(
        [
            chromium(),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        devtools = await asyncio.wait_for(asyncio.to_thread(_devtools_port, process), 60)
        async with aiohttp.ClientSession() as session:
            async with session.put(f"http://127.0.0.1:{devtools}/json/new?about:blank") as answer:
                target = json.loads(await answer.text())
            async with session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as socket:
                page = Page(socket)
                await page.call("Page.enable")
                await page.call(
                    "Page.setDownloadBehavior", behavior="allow", downloadPath=str(downloads)
                )
                await page.call("Page.addScriptToEvaluateOnNewDocument", source=CAPTURE)
                await page.call("Page.navigate", url=url)
                yield page
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        if process.poll() is None:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_port(process: subprocess.Popen[str]) -> int:
    assert process.stderr is not None
    for line in process.stderr:
        if found := re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line):
            drain = threading.Thread(target=process.stderr.read, daemon=True)  # never blocks it
            drain.start()
            return int(found.group(1))
    raise AssertionError(f"Chromium ended without a DevTools port (exit {process.wait()})")
