"""Schemathesis against the served OpenAPI document (/api/v1/openapi.json), in process
(WSGI): every operation, with data that fits the schema (positive) and data that does not
(negative). Every answer must be documented and match its schema (status, content type,
headers, body), bad input must be refused with a 4xx (never a 5xx), operations with a
security requirement must refuse requests without the token, and the token of cooperative A
must never show anything of cooperative B."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation import GenerationMode

from marketplace.api import tokens
from marketplace.extensions import db
from tests.helpers import release_test_transaction
from tests.world import build_world

MAX_EXAMPLES = 20  # per operation and mode: the whole module stays well under a minute


@pytest.fixture
def api_world(app):
    world = build_world()
    made = tokens.create_token(
        world.coop_a.id,
        world.member_a,
        "Schemathesis",
        ["orders:read", "orders:status", "products:write"],
        None,
    )
    db.session.commit()
    # What cooperative A's token must never reveal: cooperative B's orders and accounts.
    secrets = [
        world.extra["order_b"].number,
        world.shopper_b.email,
        world.member_b.email,
        world.coop_b.rib,
    ]
    release_test_transaction()
    TOKEN["secret"] = made.secret
    return {"secrets": secrets}


def served_schema():
    """The document as the API serves it, fetched at collection time from an app of its
    own (the description does not depend on the data); the tests then call the suite's app."""
    from marketplace import create_app

    describer = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", LOG_JSON=False)
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", describer)
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
        # Unknown query parameters are ignored on purpose (cache-busters, newer clients),
        # so requests that add some are not "negative".
        allow_extra_parameters=False,
    )
    # Data that fits the schema may still be refused with a 400 for what a schema cannot
    # say: a random string is not a cursor the API made, a cancellation needs a reason, a
    # product may not be on two lines of one bulk update.
    loaded.config.checks.positive_data_acceptance.expected_statuses = [
        *loaded.config.checks.positive_data_acceptance.expected_statuses,
        "400",
    ]
    return loaded


schema = served_schema()
TOKEN: dict[str, str] = {}  # this test's token of cooperative A (set by api_world)


@schema.auth(refresh_interval=None)
class CooperativeToken:
    """Cooperative A's personal access token, as a bearer token (an explicit credential:
    the checks also send each secured request without it and with a wrong one)."""

    def get(self, case, ctx):
        return TOKEN.get("secret", "souk_none-yet")  # collection asks before any test

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.parametrize()
# The world is built once per operation and the examples run on it (what they change, e.g.
# a status moved on, stays for the next ones: that is fine for these checks).
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_openapi_document(case, app, api_world):
    response = case.call_and_validate(app=app)
    assert response.status_code < 500
    if case.path.startswith("/api/v1/cooperative/") and response.status_code < 300:
        body = response.text
        leaked = [secret for secret in api_world["secrets"] if secret and secret in body]
        assert not leaked, f"{case.method} {case.formatted_path}: shows {leaked}"


def test_api_workflows(app, api_world):
    """Stateful: Schemathesis chains operations through the links it finds in the document
    (a sub-order listed, then read and moved through its statuses; a product listed, then
    updated), with the same checks after every step."""
    from hypothesis import settings as hypothesis_settings

    assert schema.as_state_machine().bundles, "no link between operations was found"

    class Workflows(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"app": app}

    Workflows.run(
        settings=hypothesis_settings(
            max_examples=10,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
