"""Waiting for a batch job with the API's own long poll, ``GET /v2/jobs/{id}?wait=N``.

The batch SDK's ``wait_for_completion`` polls with a growing interval (0.2 s up to 2 s as the
dashboard calls it), so a job is seen done up to one interval after it is: 0.8 s late for a
10 s clip the engine transcribes in 1.1 s. The Speechmatics API can hold a status request until
the job ends (``wait``, capped by the server), and the local engine does so too: asked that
way, the transcript is fetched the moment it is ready. The SDK's own polling still follows,
as the authority on errors, and takes over wherever the long poll is not honoured.
"""

from __future__ import annotations

import time

from tui.core.target import EngineTarget

HOLD_S = 30  # asked of the server: hold the request this long while the job runs
HELD_AT_LEAST_S = 1.0  # a running job answered sooner than this: the server does not hold
MOST_S = 3600.0  # then the SDK's polling (and its own timeout) takes over
ASK_TIMEOUT_S = HOLD_S + 15.0  # one request, held, at most


async def until_ended(
    target: EngineTarget, engine_job_id: str, most_s: float = MOST_S
) -> str | None:
    """Wait until the job is no longer running; return its status (``done``, ``rejected``…).

    None when the long poll cannot be used (the server answers without holding, an error, a
    status that cannot be read) or ``most_s`` passed: the caller's polling then takes over, so
    this never fails a job and never waits without a bound.
    """
    import aiohttp

    url, headers = target.job_url(engine_job_id), target.headers
    deadline = time.monotonic() + most_s
    try:
        timeout = aiohttp.ClientTimeout(total=ASK_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while time.monotonic() < deadline:
                asked = time.monotonic()
                hold = max(1, min(HOLD_S, int(deadline - asked)))
                async with session.get(url, params={"wait": str(hold)}, headers=headers) as reply:
                    if reply.status != 200:
                        return None
                    body = await reply.json()
                status = body["job"]["status"]
                if status not in ("running", "created"):
                    return str(status)
                if time.monotonic() - asked < HELD_AT_LEAST_S:
                    return None
    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError):
        return None
    return None
