"""The real-time API driven by hypothesis through everything its AsyncAPI description allows
and disallows: message order, types, missing and extra fields, audio between and after
messages, EndOfStream counts, and closes at every point.

Whatever a client sends, these hold:
- every reply is a message the description lists, and matches its schema;
- AudioAdded counts the audio messages, 1, 2, 3…;
- a session the client does not abandon ends with ``EndOfTranscript`` (only after its
  EndOfStream) or a documented ``Error``, and then the socket closes;
- the engine's session count returns to 0 (no slot leaks), and its memory stays bounded.

The engine is the real one with the stand-in recogniser (tone bursts for words), on loopback.
``SM_TUI_FUZZ_EXAMPLES`` sets how many scenarios run (``make fuzz`` runs many more).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import os
import resource
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.standin import VOCABULARY, InProcessEngine, tone_speech
from tui.shared.extensions import CAPACITY_PATH

ROOT = Path(__file__).resolve().parent.parent.parent
SPEC = ROOT.parent / "shared" / "reference" / "spec" / "realtime.yaml"
EXAMPLES = int(os.environ.get("SM_TUI_FUZZ_EXAMPLES", "150"))
# The suite replays the same scenarios every run; ``make fuzz`` draws new ones.
DERANDOMIZE = os.environ.get("SM_TUI_FUZZ_SEED", "") != "random"
REPLY_TIMEOUT_S = 30.0
# Peak memory: the first pass over the scenarios warms the engine and this process up (imports,
# caches, thread pools: 120-230 MB on the machines it ran on, most of it in the first 20
# scenarios); the same scenarios again must find it all there (a session's memory goes when
# it ends).
MEMORY_WARM_MB = 400
MEMORY_BOUND_MB = 50

_spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
SCHEMAS = _spec["components"]["schemas"]
REPLIES = set(_spec["channels"]["subscribe"]["messages"])


def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": {"schemas": SCHEMAS}}
    )


VALIDATORS = {name: _validator(name) for name in REPLIES}
SEEN: collections.Counter[str] = collections.Counter()  # replies over all scenarios

# ---- what a client may send -------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


def _start(
    encoding: str, rate: int, partials: bool, max_delay: float, extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "message": "StartRecognition",
        "audio_format": {"type": "raw", "encoding": encoding, "sample_rate": rate},
        "transcription_config": {
            "language": "en",
            "enable_partials": partials,
            "max_delay": max_delay,
            "model": "standard",
        },
        **extra,
    }


valid_start = st.builds(
    _start,
    st.sampled_from(["pcm_s16le", "pcm_f32le"]),
    st.sampled_from([16000, 8000, 44100]),
    st.booleans(),
    st.floats(0.7, 4.0),
    st.just({}),
)


@st.composite
def broken_start(draw: st.DrawFn) -> dict[str, Any]:
    """A StartRecognition with a field dropped, replaced by any JSON, or added."""
    message = draw(valid_start)
    where = draw(st.sampled_from(["top", "audio_format", "transcription_config"]))
    part = message if where == "top" else message[where]
    key = draw(st.sampled_from(sorted(part)) | st.text(min_size=1, max_size=8))
    how = draw(st.sampled_from(["drop", "replace"]))
    if how == "drop":
        part.pop(key, None)
    else:
        part[key] = draw(json_values)
    return message


def _tone(word: str) -> tuple[str, bytes]:
    audio = tone_speech([word])
    return "audio", (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()


audio = st.one_of(
    st.sampled_from(list(VOCABULARY)).map(_tone),
    st.tuples(st.just("audio"), st.binary(max_size=3001)),
)
other = st.one_of(
    st.tuples(st.just("json"), valid_start),
    st.tuples(st.just("json"), broken_start()),
    st.tuples(st.just("end"), st.sampled_from(["right", "short", "long", "missing", "text"])),
    st.tuples(
        st.just("json"),
        st.sampled_from(
            [
                {"message": "ForceEndOfUtterance"},
                {"message": "ForceEndOfUtterance", "channel": "1", "timestamp": 0.5},
                {"message": "SetRecognitionConfig", "transcription_config": {"max_delay": 2}},
                {"message": "SetRecognitionConfig", "transcription_config": {"language": "de"}},
                {"message": "SetRecognitionConfig"},
                {"message": "GetSpeakers"},
                {"message": "EndOfChannel", "channel": "1", "last_seq_no": 0},
                {"message": "AddChannelAudio", "channel": "1", "data": "not base64!"},
                {
                    "message": "AddChannelAudio",
                    "channel": "x",
                    "data": base64.b64encode(b"\0\0" * 800).decode(),
                },
                {"message": "AddAudio"},
                {"message": "Unheard"},
                {"no": "message"},
                [],
                None,
                "StartRecognition",
            ]
        ),
    ),
    st.tuples(st.just("json"), st.dictionaries(st.text(max_size=10), json_values, max_size=4)),
    st.tuples(st.just("text"), st.text(max_size=40)),
)
# Audio is most of what a client sends: three steps in four, so sessions run long enough to
# matter (most other messages end a session, as they should).
step = st.integers(0, 3).flatmap(lambda i: audio if i else other)
# Most scenarios open properly, so the steps after reach a running session.
opening = st.integers(0, 4).flatmap(
    lambda i: valid_start.map(lambda m: [("json", m)]) if i else st.just([])
)
scenario = st.tuples(
    st.tuples(opening, st.lists(step, max_size=12)).map(lambda p: p[0] + p[1]),
    st.booleans(),  # then close early?
)

# ---- driving one session -----------------------------------------------------------------


class Session:
    """One WebSocket session: what was sent, every reply, and whether the socket closed."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.replies: list[dict[str, Any]] = []
        self.audio_sent = 0
        self.end_sent = False
        self.closed = False
        self.non_json: list[str] = []

    async def send(self, kind: str, value: Any) -> None:
        if self.closed:
            return
        try:
            if kind == "audio":
                await self.ws.send_bytes(value)
                self.audio_sent += 1
            elif kind == "json":
                await self.ws.send_str(json.dumps(value))
            elif kind == "text":
                await self.ws.send_str(value)
            elif kind == "end":
                await self.ws.send_str(self._end(value))
        except (ConnectionResetError, aiohttp.ClientConnectionError):
            self.closed = True
        await self.drain(0.01)

    def _end(self, how: str) -> str:
        self.end_sent = True
        counts = {"right": self.audio_sent, "short": self.audio_sent - 1, "long": 10**6}
        if how == "missing":
            return json.dumps({"message": "EndOfStream"})
        if how == "text":
            return json.dumps({"message": "EndOfStream", "last_seq_no": "many"})
        return json.dumps({"message": "EndOfStream", "last_seq_no": counts[how]})

    async def drain(self, timeout: float) -> None:
        """Read what has arrived (waiting up to ``timeout`` for the first)."""
        while not self.closed:
            try:
                message = await self.ws.receive(timeout=timeout)
            except TimeoutError:
                return
            timeout = 0.01  # (aiohttp reads 0 as "no timeout")
            if message.type == aiohttp.WSMsgType.TEXT:
                try:
                    self.replies.append(json.loads(message.data))
                except ValueError:
                    self.non_json.append(str(message.data)[:200])
            elif message.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.ERROR,
            ):
                self.closed = True
            else:
                self.non_json.append(f"a {message.type.name} frame")

    def kinds(self) -> list[str]:
        return [str(r.get("message")) for r in self.replies if isinstance(r, dict)]

    def finished(self) -> bool:
        return "EndOfTranscript" in self.kinds() or "Error" in self.kinds()


async def _sessions(engine: InProcessEngine, http: aiohttp.ClientSession) -> int:
    headers = {"Authorization": f"Bearer {engine.api_key}"}
    async with http.get(engine.batch_url.removesuffix("/v2") + CAPACITY_PATH, headers=headers) as r:
        return int((await r.json())["sessions"])


async def run_scenario(
    engine: InProcessEngine, steps: list[tuple[str, Any]], close_early: bool
) -> None:
    headers = {"Authorization": f"Bearer {engine.api_key}"}
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(engine.rt_url, headers=headers, max_msg_size=1 << 22) as ws:
            session = Session(ws)
            for kind, value in steps:
                await session.send(kind, value)
            if close_early:
                await ws.close()
            else:
                if not session.finished() and not session.closed:
                    await session.send("end", "right")
                deadline = time.monotonic() + REPLY_TIMEOUT_S
                while not session.closed and time.monotonic() < deadline:
                    await session.drain(max(0.01, deadline - time.monotonic()))
                assert session.closed, (
                    f"the socket stayed open {REPLY_TIMEOUT_S:g} s after the session ended: "
                    f"{session.kinds()}"
                )
                check_ending(session)
            check_replies(session)
            SEEN.update(session.kinds())
            SEEN.update(
                f"error {r.get('type')}: {r.get('reason')}"[:70]
                for r in session.replies
                if r["message"] == "Error"
            )
        # No slot leaks: the engine's count of sessions comes back to 0.
        deadline = time.monotonic() + 10
        while (count := await _sessions(engine, http)) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert count == 0, f"{count} session(s) still held after the socket closed"


def check_replies(session: Session) -> None:
    assert not session.non_json, session.non_json
    for reply in session.replies:
        assert isinstance(reply, dict) and reply.get("message") in REPLIES, reply
        errors = sorted(VALIDATORS[reply["message"]].iter_errors(reply), key=str)
        assert not errors, f"{reply} does not match the spec: {errors[0].message}"
    seqs = [r["seq_no"] for r in session.replies if r["message"] == "AudioAdded"]
    assert seqs == list(range(1, len(seqs) + 1)), f"AudioAdded seq_no went {seqs}"


def check_ending(session: Session) -> None:
    kinds = session.kinds()
    assert session.finished(), f"the session ended with neither EndOfTranscript nor Error: {kinds}"
    if "EndOfTranscript" in kinds:
        assert session.end_sent, "EndOfTranscript came before any EndOfStream"
        assert kinds.index("EndOfTranscript") == len(kinds) - 1, f"replies after the end: {kinds}"


def _resident_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="module")
def fuzzed_rt_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEngine]:
    engine = InProcessEngine(
        tmp_path_factory.mktemp("rt-fuzz"), api_key=secrets.token_urlsafe(16)
    ).start()
    yield engine
    engine.stop()


def test_any_client_gets_answers_from_the_spec_and_frees_its_slot(
    fuzzed_rt_engine: InProcessEngine,
) -> None:
    peak_before = _resident_mb()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=DERANDOMIZE,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(scenario)
    def one(case: tuple[list[tuple[str, Any]], bool]) -> None:
        asyncio.run(run_scenario(fuzzed_rt_engine, *case))

    SEEN.clear()
    one()
    print(f"replies over {EXAMPLES} scenarios: {dict(SEEN.most_common())}")
    # The scenarios reached the engine's work, not only its refusals.
    for wanted in ("RecognitionStarted", "AudioAdded", "AddTranscript", "EndOfTranscript"):
        assert SEEN[wanted], f"no scenario got {wanted}: {dict(SEEN)}"
    warm = _resident_mb()
    assert warm - peak_before < MEMORY_WARM_MB, f"peak memory grew {warm - peak_before:.0f} MB"
    one()  # the same scenarios again (``make fuzz``: others like them)
    grown = _resident_mb() - warm
    print(f"peak memory: {warm - peak_before:.0f} MB more warm, then {grown:.0f} MB more")
    assert grown < MEMORY_BOUND_MB, f"peak memory grew {grown:.0f} MB on the second pass"
