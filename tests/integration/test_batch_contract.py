"""The batch API against its published description, by a spec-driven fuzzer.

Schemathesis reads ``../shared/reference/spec/batch.yaml`` (Swagger 2.0) and sends requests it
generates from it (valid and invalid ones, every declared operation plus undeclared methods)
to a real engine on loopback, authenticated, with real job ids for the job operations, and runs
every check it has on each answer. Answers that are right where the published description is
incomplete are listed in ``tests/contract/batch_allowlist.json``, each with its reason; nothing
else may fail. ``make fuzz`` runs the same with many more examples and a fresh seed.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.standin import InProcessEngine, tone_file

ROOT = Path(__file__).resolve().parent.parent.parent
SPEC = ROOT.parent / "shared" / "reference" / "spec" / "batch.yaml"
ALLOWLIST = ROOT / "tests" / "contract" / "batch_allowlist.json"
EXAMPLES = int(os.environ.get("SM_TUI_FUZZ_EXAMPLES", "25"))
SEED = os.environ.get("SM_TUI_FUZZ_SEED", "20261205")  # "random" for a fresh one
MORE_ARGS = os.environ.get("SM_TUI_FUZZ_ARGS", "").split()  # (read before tests clear SM_TUI_*)


@pytest.fixture
def fuzzed_engine(tmp_path: Path) -> Iterator[InProcessEngine]:
    """An engine of its own (the stand-in recogniser): the fuzzer's jobs touch no other test."""
    engine = InProcessEngine(tmp_path / "fuzzed", api_key=secrets.token_urlsafe(16)).start()
    yield engine
    engine.stop()


async def _job(engine: InProcessEngine, audio: Path) -> str:
    from speechmatics.batch import AsyncClient

    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
        job_id = (await client.submit_job(str(audio))).id
        await client.wait_for_completion(job_id, polling_interval=0.2, timeout=60)
        return str(job_id)


def _spec(folder: Path) -> Path:
    """The published description, with its one typo corrected (``SentimentSegment.confidence``
    is ``type: number,``, which no validator reads, so no transcript could be checked)."""
    text = SPEC.read_text(encoding="utf-8")
    assert text.count("type: number,\n") == 1, "the published spec changed: look again"
    path = folder / "batch.yaml"
    path.write_text(text.replace("type: number,\n", "type: number\n"), encoding="utf-8")
    return path


def _config(tmp_path: Path, engine: InProcessEngine, done: str, doomed: str) -> Path:
    """The fuzzer's settings: the key comes from the environment (never a command line)."""
    seed = "" if SEED == "random" else f"seed = {int(SEED)}\n"
    text = f"""{seed}base-url = "{engine.batch_url}"
max-failures = 50
continue-on-failure = true
headers = {{ Authorization = "Bearer ${{SM_TUI_FUZZ_KEY}}" }}

[checks]
enabled = true

[generation]
max-examples = {EXAMPLES}

[[operations]]
include-path-regex = "^/jobs/\\\\{{jobid\\\\}}"
include-method = "GET"
parameters = {{ jobid = "{done}" }}

[[operations]]
include-path = "/jobs/{{jobid}}"
include-method = "DELETE"
parameters = {{ jobid = "{doomed}" }}
"""
    path = tmp_path / "schemathesis.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_allowlisted_failure_says_why() -> None:
    entries = json.loads(ALLOWLIST.read_text(encoding="utf-8"))["entries"]
    assert entries
    for entry in entries:
        assert len(entry.get("reason", "")) > 40, f"{entry['operation']}: no reason given"


async def test_the_batch_api_keeps_its_published_contract(
    fuzzed_engine: InProcessEngine, tmp_path: Path
) -> None:
    audio = tone_file(tmp_path / "words.wav", ["alpha bravo"])
    done, doomed = await _job(fuzzed_engine, audio), await _job(fuzzed_engine, audio)
    config = _config(tmp_path, fuzzed_engine, done, doomed)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "--no-color",
            "run",
            str(_spec(tmp_path)),
            "--checks",
            "all",
            "--baseline",
            str(ALLOWLIST),
            *MORE_ARGS,
            "--request-timeout",
            "30",
        ],
        env={**os.environ, "SM_TUI_FUZZ_KEY": fuzzed_engine.api_key},
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    report = run.stdout + run.stderr
    (tmp_path / "report.txt").write_text(report, encoding="utf-8")  # kept with the test's files
    assert fuzzed_engine.api_key not in report
    failures = report[report.find("FAILURES") :] if "FAILURES" in report else report
    assert run.returncode == 0, failures[-15000:]
    assert "Tested: 7" in report, report[-4000:]


# ---- each fault the fuzzer found, kept fixed -------------------------------------------


async def test_what_the_fuzzer_found_stays_fixed(
    fuzzed_engine: InProcessEngine, tmp_path: Path
) -> None:
    import aiohttp

    done = await _job(fuzzed_engine, tone_file(tmp_path / "w.wav", ["alpha bravo"]))
    url = fuzzed_engine.batch_url
    auth = {"Authorization": f"Bearer {fuzzed_engine.api_key}"}
    async with aiohttp.ClientSession(headers=auth) as http:

        async def answer(method: str, path: str, **kw: object) -> tuple[int, object, object]:
            async with http.request(method, url + path, **kw) as r:  # type: ignore[arg-type]
                body = await r.json() if r.content_type == "application/json" else await r.text()
                return r.status, body, r.headers

        for query in ("limit=0", "include_deleted=null", "created_before=", "limit=x"):
            status, body, _ = await answer("GET", f"/jobs?{query}")
            assert (status, body["error"]) == (422, "Unprocessable Entity"), (query, body)  # type: ignore[index]
        status, body, _ = await answer("GET", "/usage?until=2000-01-01")
        assert status == 200 and body["until"] == "2000-01-01T23:59:59Z", body  # type: ignore[index]
        assert body["since"].endswith("-01T00:00:00Z"), body  # type: ignore[index]
        status, body, _ = await answer("GET", "/usage?since=0324-06-20&until=0324-06-20")
        assert body["since"] == "0324-06-20T00:00:00Z", body  # type: ignore[index]
        status, _, headers = await answer("TRACE", f"/jobs/{done}")
        assert status == 405 and "GET" in headers["Allow"], headers  # type: ignore[index]
        no_boundary = {"Content-Type": "multipart/form-data"}
        status, body, _ = await answer("POST", "/jobs", headers=no_boundary, data=b"x")
        assert (status, body["error"]) == (400, "Malformed request"), body  # type: ignore[index]
        broken = (
            b"--b\r\nContent-Disposition: form-data; name=config\r\n\r\n{}\r\n--b\r\nTrue--b--\r\n"
        )
        status, body, _ = await answer(
            "POST",
            "/jobs",
            headers={"Content-Type": "multipart/form-data; boundary=b"},
            data=broken,
        )
        assert status == 400, body
        status, body, _ = await answer("GET", f"/jobs/{done}/log")
        assert status == 200 and "created" in body and "transcript ready" in body, body  # type: ignore[operator]
        for wait in ("5285696", "-3141126414481361993728", "9" * 5000):
            status, body, _ = await answer("GET", f"/jobs/{done}?wait={wait}")
            assert status == 200 and body["job"]["status"] == "done", body  # type: ignore[index]
