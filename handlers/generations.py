"""Generations tag: create, list, get and cancel jobs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connexion import request

from handlers.deps import JSON, owner, read, services
from music_studio import jobs, representations

Response = tuple[dict[str, Any], int, dict[str, str]]

# Poll hints: a queued job waits for a worker, a running one moves every second or so.
RETRY_AFTER = {"queued": "2", "running": "1"}


def _job_response(row: Mapping[Any, Any], status: int, extra: dict[str, str] | None = None) -> Response:
    body = representations.job(row, services().signer)
    headers = {**JSON, **(extra or {})}
    if row["status"] in RETRY_AFTER:
        headers["Retry-After"] = RETRY_AFTER[row["status"]]
    return body, status, headers


def create_generation(organization_id: str, body: dict[str, Any], token_info: dict[str, Any]) -> Response:
    """Submit a generation job (202); the Idempotency-Key header wins over the body's key."""
    caller = owner(organization_id, token_info)
    key = request.headers.get("idempotency-key") or body.get("idempotency_key")
    row, replayed = jobs.submit(services().db, caller, jobs.Submission.from_body(body), key)
    extra = {"Location": f"/v1/music/{organization_id}/generations/{row['id']}"}
    if replayed:
        extra["Idempotent-Replayed"] = "true"
    return _job_response(row, 202, extra)


async def list_generations(
    organization_id: str, token_info: dict[str, Any], status: str | None = None, limit: int = 50, offset: int = 0
) -> Response:
    """List the caller's jobs, newest first; no URLs in list items."""
    caller = owner(organization_id, token_info)
    svc = services()
    rows = await read(svc, jobs.list_jobs, svc.db, caller, status=status, limit=limit, offset=offset)
    items = [representations.job(row, None) for row in rows]
    return {"jobs": items, "limit": limit, "offset": offset}, 200, JSON


async def get_generation(organization_id: str, job_id: str, token_info: dict[str, Any]) -> Response:
    """One job; on success with a freshly minted playback URL and the track summary."""
    caller = owner(organization_id, token_info)
    svc = services()
    return _job_response(await read(svc, jobs.get, svc.db, caller, job_id), 200)


def cancel_generation(organization_id: str, job_id: str, token_info: dict[str, Any]) -> Response:
    """Cancel a queued or running job; idempotent, returns the job."""
    caller = owner(organization_id, token_info)
    return _job_response(jobs.cancel(services().db, caller, job_id), 200)
