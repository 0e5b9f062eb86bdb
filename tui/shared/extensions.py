"""What the local engine tells its clients beyond the Speechmatics API, where clients ignore it.

``GET /v2/jobs/{id}`` of a running job carries the share of its audio transcribed so far in a
response header (0.000–1.000). The API's body is unchanged, so the official clients never see
it; sm-tui reads it for its progress bars, and falls back to an estimate where it is absent
(Speechmatics itself).
"""

PROGRESS_HEADER = "X-SM-TUI-Progress"
