"""The hot path's speed-ups (connexion_patches, PreparedRead, orjson) leave contract validation on."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from handlers import generations
from tests.conftest import Caller, create_job, error_code


def test_a_response_that_breaks_the_contract_is_a_500(
    client: TestClient, alice: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = create_job(client, alice)["id"]
    real = generations.representations.job

    def broken(row: Any, signer: Any) -> dict[str, Any]:
        return {**real(row, signer), "status": "weird"}

    monkeypatch.setattr(generations.representations, "job", broken)
    for _ in range(2):  # the second request runs on the memoised per-operation plans
        response = client.get(f"/v1/music/{alice.org}/generations/{job_id}", headers=alice.headers)
        assert response.status_code == 500


def test_request_parameters_are_still_validated(client: TestClient, alice: Caller) -> None:
    job_id = create_job(client, alice)["id"]
    base = f"/v1/music/{alice.org}/generations"
    for _ in range(2):
        assert client.get(f"{base}/{job_id}", headers=alice.headers).status_code == 200
        bad_id = client.get(f"{base}/not-a-job-id!", headers=alice.headers)
        assert bad_id.status_code == 422, bad_id.text
        extra = client.get(f"{base}/{job_id}?surprise=1", headers=alice.headers)
        assert extra.status_code in (400, 422), extra.text
        assert error_code(extra)
