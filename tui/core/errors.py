"""Turn SDK and network failures into messages that say what happened and what to do."""

from __future__ import annotations

from typing import Literal

Severity = Literal["information", "warning", "error"]
"""How a message to the user is shown: as Textual's notification severities."""


def explain(exc: BaseException, url: str) -> str:
    """A one-line, actionable description of a failure talking to an engine at ``url``."""
    from speechmatics import batch, rt

    text = str(exc)
    if isinstance(exc, batch.AuthenticationError) or "401" in text or "Permission Denied" in text:
        return (
            "the API key was refused (401): check SPEECHMATICS_API_KEY in your environment or .env"
        )
    if any(
        s in text
        for s in ("Cannot connect", "Connect call failed", "Connection refused", "Errno 111")
    ):
        return f"cannot reach the engine at {url}: is it running, and is the URL right?"
    if isinstance(exc, rt.TimeoutError | TimeoutError):
        return f"the engine at {url} did not answer in time"
    if isinstance(exc, batch.JobExpiredError):
        return "the job expired on the engine (its transcript is no longer kept)"
    if isinstance(exc, rt.ConnectionError | ConnectionError | OSError):
        return f"lost the connection to {url}: {text or exc.__class__.__name__}"
    return text or exc.__class__.__name__
