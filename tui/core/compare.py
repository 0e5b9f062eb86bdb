"""Batch and real-time on the same audio at the same time, through the official SDKs.

The sides run here; what is measured and how lives in ``tui.core.comparison``. The real-time
session is closed only after EndOfTranscript, so the last words count.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tui.core.comparison import (
    BatchResult,
    Comparison,
    OnText,
    RealtimeResult,
    RealtimeTimeline,
    SendClock,
)
from tui.core.target import EngineTarget

if TYPE_CHECKING:
    from tui.core.live import LiveSession
from tui.shared.audio import RATE

CHUNK_S = 0.1


def load_pcm(path: Path) -> np.ndarray:
    """A file decoded to 16 kHz mono int16 with PyAV."""
    from tui.shared.audio import decode_file, to_int16

    return to_int16(decode_file(path))


async def run_realtime(
    target: EngineTarget,
    pcm: np.ndarray,
    max_delay: float,
    language: str = "en",
    on_text: OnText | None = None,
    features: dict[str, Any] | None = None,
    on_started: Callable[[dict[str, Any]], object] | None = None,
) -> RealtimeResult:
    """Stream int16 audio paced at 1x through the rt SDK and measure it; ``features`` are
    more ``TranscriptionConfig`` fields (``additional_vocab``, ``diarization``…);
    ``on_started`` hears RecognitionStarted."""
    from speechmatics import rt

    client = rt.AsyncClient(api_key=target.api_key, url=target.rt_url)
    clock = SendClock()
    timeline = RealtimeTimeline(clock, on_text)
    client.on(rt.ServerMessageType.ADD_PARTIAL_TRANSCRIPT, timeline.partial)
    client.on(rt.ServerMessageType.ADD_TRANSCRIPT, timeline.final)
    client.on(
        rt.ServerMessageType.ERROR,
        lambda m: timeline.errors.append(f"{m.get('type')}: {m.get('reason')}"),
    )
    client.on(rt.ServerMessageType.INFO, lambda m: timeline.infos.append(str(m.get("reason"))))
    if on_started is not None:
        client.on(rt.ServerMessageType.RECOGNITION_STARTED, on_started)
    chunk = int(RATE * CHUNK_S)
    await client.start_session(
        transcription_config=rt.TranscriptionConfig(
            language=language,
            enable_partials=True,
            max_delay=max_delay,
            model=rt.Model(target.rt_model),
            **(features or {}),
        ),
        audio_format=rt.AudioFormat(
            encoding=rt.AudioEncoding.PCM_S16LE, sample_rate=RATE, chunk_size=chunk * 2
        ),
    )
    try:
        started = time.monotonic()
        timeline.started = started
        first_send = last_send = started
        for index in range(0, len(pcm), chunk):
            due = started + index / RATE
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            last_send = time.monotonic()
            if index == 0:
                first_send = last_send
            block = pcm[index : index + chunk]
            await client.send_audio(block.astype("<i2").tobytes())
            clock.record((index + len(block)) / RATE, time.monotonic())
        paced_audio = (len(pcm) - 1) // chunk * chunk / RATE  # audio sent before the last chunk
        pacing = paced_audio / (last_send - first_send) if last_send > first_send else 1.0
        await asyncio.wait_for(client.stop_session(), timeout=max(60.0, len(pcm) / RATE))
        session_s = time.monotonic() - started
    finally:
        await client.close()
    return timeline.result(len(pcm) / RATE, pacing, session_s)


async def run_batch(
    target: EngineTarget, path: Path, language: str = "en", on_text: OnText | None = None
) -> BatchResult:
    """Submit a file to the batch API and time it until the transcript is in hand.

    Cancelled (the user left the comparison), it deletes its job on the engine, so the engine
    stops working on it (and Speechmatics stops billing it).
    """
    from speechmatics.batch import AsyncClient, TranscriptionConfig
    from speechmatics.batch import Model as BatchModel

    from tui.core.batch_run import stop_on_engine
    from tui.core.errors import explain
    from tui.core.job_wait import until_ended

    started = time.monotonic()
    engine_job_id: str | None = None
    try:
        async with AsyncClient(api_key=target.api_key, url=target.batch_url) as client:
            details = await client.submit_job(
                str(path),
                transcription_config=TranscriptionConfig(
                    language=language, model=BatchModel(target.batch_model)
                ),
            )
            engine_job_id = details.id
            if on_text is not None:
                on_text("status", "transcribing")
            await until_ended(target, details.id)
            transcript = await client.wait_for_completion(
                details.id, polling_interval=0.5, min_polling_interval=0.1
            )
    except asyncio.CancelledError:
        if engine_job_id is not None:
            await asyncio.shield(stop_on_engine(target, engine_job_id))
        raise
    except Exception as exc:  # reported in the comparison, not raised
        return BatchResult(
            turnaround_s=time.monotonic() - started,
            error=explain(exc, target.batch_url),
            job_id=engine_job_id,
        )
    text = str(getattr(transcript, "transcript_text", transcript))
    return BatchResult(
        transcript=text, turnaround_s=time.monotonic() - started, job_id=engine_job_id
    )


async def compare(
    target: EngineTarget,
    path: Path,
    reference: str | None = None,
    max_delay: float = 1.0,
    language: str = "en",
    on_text: OnText | None = None,
) -> Comparison:
    """Run a file through batch and real-time at the same time."""
    pcm = await asyncio.to_thread(load_pcm, path)
    batch, realtime = await asyncio.gather(
        run_batch(target, path, language, on_text),
        run_realtime(target, pcm, max_delay, language, on_text),
    )
    if on_text is not None:
        on_text("batch", batch.transcript or f"(failed: {batch.error})")
    return Comparison(
        path.name,
        len(pcm) / RATE,
        f"{target.label} · {target.models_label}",
        max_delay,
        batch,
        realtime,
        reference,
    )


async def compare_live(
    target: EngineTarget,
    session: LiveSession,
    recording: Path,
    reference: str | None = None,
    language: str = "en",
    on_text: OnText | None = None,
) -> Comparison:
    """A live session that ended, set beside batch on the audio it recorded.

    The real-time side is what the session measured as it ran (each final word's latency, the
    first partial, how far the engine fell behind); batch runs now, on the recording.
    """
    batch = await run_batch(target, recording, language, on_text)
    errors = [] if session.ended_cleanly else ["the live session did not end cleanly"]
    realtime = RealtimeResult(
        transcript=session.transcript.text,
        first_partial_s=session.first_partial_s,
        words=list(session.words),
        pacing=1.0,  # a live source is its own clock
        audio_s=session.audio_seconds,
        session_s=session.audio_seconds,
        errors=errors,
        behind_max_s=session.behind_max_s,
    )
    return Comparison(
        recording.name,
        session.audio_seconds,
        f"{target.label} · {target.models_label}",
        session.max_delay,
        batch,
        realtime,
        reference,
    )
