"""``sm-tui web`` in a real browser: headless Chromium loads the page, the dashboard runs on
the embedded engine (the real model), a job finishes, an export arrives as downloads, and a
screenshot shows it (``KEEP_BROWSER_SCREENSHOT=path`` keeps the PNG to look at)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.web.browser import open_page
from tui.core.batch import JobState
from tui.core.store import JobStore
from tui.paths import DataPaths

pytestmark = pytest.mark.engine


def done_downloads(folder: Path) -> list[Path]:
    """Files the browser finished downloading (not its .crdownload parts)."""
    return [p for p in folder.iterdir() if not p.name.endswith(".crdownload")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_dashboard_in_a_browser(shared_audio: Path, isolated: Path, tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, SM_TUI_DATA_DIR=str(isolated))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui",
            "web",
            "--port",
            str(port),
            "--no-sample",
            str(shared_audio / "hello.wav"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        said = await asyncio.wait_for(asyncio.to_thread(server.stdout.readline), 60)
        assert f"http://127.0.0.1:{port}" in said
        downloads = tmp_path / "downloads"
        downloads.mkdir()
        async with open_page(f"http://127.0.0.1:{port}", downloads) as page:
            # the dashboard runs in its own process for this tab, and finishes the file
            deadline = asyncio.get_running_loop().time() + 180
            while True:
                text = await page.received_text()
                if "hello.wav" in text and "1 done" in text:
                    break
                assert asyncio.get_running_loop().time() < deadline, text[-2000:]
                await asyncio.sleep(0.5)
            assert "server's microphone" in text  # the browser's own microphone is not used
            store = JobStore(DataPaths(isolated).store)
            (job,) = store.all()
            store.close()
            assert job.state == JobState.DONE and "speechmatics" in job.text.lower()
            # e asks for a format in a browser; a (all four) arrives as one zip download
            await page.call(
                "Runtime.evaluate",
                expression=("document.querySelector('.xterm-helper-textarea').focus()"),
            )
            await page.call("Input.insertText", text="e")
            while "Download the transcript" not in await page.received_text():
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.2)
            await page.call("Input.insertText", text="a")
            while not done_downloads(downloads):
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.2)
            (archive,) = done_downloads(downloads)
            with zipfile.ZipFile(archive) as bundle:
                bodies = {Path(n).suffix: bundle.read(n).decode() for n in bundle.namelist()}
            assert set(bodies) == {".txt", ".srt", ".vtt", ".json"}
            assert bodies[".vtt"].startswith("WEBVTT") and '"results"' in bodies[".json"]
            assert "Hello" in bodies[".txt"]
            await asyncio.sleep(0.5)  # the last frame drawn
            shot = await page.screenshot(tmp_path / "browser.png")
            assert shot.stat().st_size > 20_000  # a drawn dashboard, not a blank page
            if keep := os.environ.get("KEEP_BROWSER_SCREENSHOT"):
                shutil.copy(shot, keep)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def test_a_port_in_use_is_said_plainly(isolated: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "tui", "web", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    assert run.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in run.stderr and "--port" in run.stderr
    assert "Traceback" not in run.stderr and "open http" not in run.stdout
