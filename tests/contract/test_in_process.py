"""Schemathesis in process (ASGI, no server): a few fuzzing cases per operation, for fast feedback.

The full run (every phase, peers, 100+ cases per operation) is test_schemathesis.py against a real
server. This one loads the same repo contract with `from_path` and calls the app directly.
No schemathesis.toml is auto-discovered here on purpose: a [reports.*] table in one would crash
the pytest plugin (allure_commons import), so the CLI's config lives in tests/contract and is
passed to the CLI explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from starlette.types import Receive, Scope, Send

from music_studio.app import create_app
from music_studio.services import Services
from tests.conftest import Caller

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"


class CurrentApp:
    """The app of the running test: every test has its own database, the schema one `app`."""

    target: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.target(scope, receive, send)


CURRENT = CurrentApp()
# As in the CLI's toml: engine rules the schema cannot express are documented 422s.
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "422"]}}}
)
schema = schemathesis.openapi.from_path(SPEC, config=CONFIG)
schema.app = CURRENT


@pytest.fixture(autouse=True)
def current_app(services: Services) -> Iterator[None]:
    generous = services.settings.with_overrides(
        rate_limit_reads_burst=100_000, rate_limit_creates_burst=100_000, rate_limit_media_burst=100_000
    )
    CURRENT.target = create_app(services=Services(generous, services.db, services.signer, services.storage))
    yield
    CURRENT.target = None


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_contract_in_process(case: schemathesis.Case, alice: Caller) -> None:
    # alice is a member of org_a; most generated organisation ids are not (403, as documented).
    if (
        case.path_parameters
        and "organization_id" in case.path_parameters
        and case.path_parameters.get("organization_id", "").startswith("org_")
    ):
        case.path_parameters["organization_id"] = alice.org
    case.call_and_validate(headers=alice.headers)
