"""What the local engine tells its clients beyond the Speechmatics API, where clients ignore it.

``GET /v2/jobs/{id}`` of a running job carries the share of its audio transcribed so far in a
response header (0.000–1.000). The API's body is unchanged, so the official clients never see
it; sm-tui reads it for its progress bars, and falls back to an estimate where it is absent
(Speechmatics itself).
"""

PROGRESS_HEADER = "X-SM-TUI-Progress"

MODEL_HEADER = "X-SM-TUI-Model"
"""On ``GET /v2/jobs/{id}`` once a job's model is chosen: the model that transcribes it
(``tiny.en``, ``base``). In real time, the ``recognition_quality`` Info names it."""

COMPUTE_HEADER = "X-SM-TUI-Compute"
"""On ``GET /v2/jobs/{id}`` of a finished job: the seconds the engine spent transcribing it
(from its turn starting to its transcript, waiting for the inference lane included)."""

SESSION_LOAD_PATH = "/v2/sm-tui/realtime/{session_id}"
"""``GET`` (with the API key) answers a running real-time session's load: ``audio_s`` stepped
through, ``compute_s`` spent on it (inference, and waiting for the inference lane), and
``compute_ratio``, the second over the first: above 1 the engine cannot keep up. The session id
is RecognitionStarted's ``id``. Speechmatics answers 404: clients then stop asking."""

CAPACITY_PATH = "/v2/sm-tui/capacity"
"""``GET`` (with the API key) answers what the engine can serve in real time: for each loaded
model (``standard``, ``enhanced``), what a step costs on this machine (``step_wide_s`` on both
cores, ``step_narrow_s`` on one beside another step) and ``sessions_within_max_delay``, the
sessions at once that keep each ``max_delay``; and the ``sessions`` running now."""
