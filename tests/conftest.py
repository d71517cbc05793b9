"""Shared fixtures: a small named cast for permission tests, and service checks.

The cast (after healthchecks' alice/bob/charlie): ``volunteer`` and ``coordinator`` belong to
``organisation``; ``outsider`` belongs to ``other_organisation`` as its coordinator.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from backend.accounts.models import User
from backend.config import settings as product_settings
from backend.organisations.models import Organisation, Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.schema_check import CheckedAPIClient

IN_CI = os.environ.get("CI", "").lower() == "true"


def _own_redis_database_per_worker() -> None:
    """Under pytest-xdist each worker process has its own test database (pytest-django's
    ``_gw0`` suffix), so the same primary keys come up in both: without a Redis database of
    its own too, one worker's board of organisation 1 would hear the other's events. Runs when
    this file is imported: after the settings are read, before any test or cache exists."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not settings.REDIS_URL:
        return
    parts = urlsplit(settings.REDIS_URL)
    first = int(parts.path.strip("/") or 0)
    url = parts._replace(path=f"/{first + 1 + int(worker[2:])}").geturl()
    os.environ["REDIS_URL"] = url  # for the processes the tests start
    settings.REDIS_URL = url
    settings.CHANNEL_LAYERS = product_settings.redis_channel_layers(url)
    settings.CACHES = product_settings.redis_caches(url)
    from django.core.cache import caches

    assert "settings" not in caches.__dict__, "a cache was made before the worker's Redis was set"


_own_redis_database_per_worker()


def require_service(name: str, available: bool) -> None:
    """In CI a missing service fails the test; on a laptop it skips with the reason."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{name} is required in CI but is not available")
    pytest.skip(f"{name} is not available")


@pytest.fixture
def organisation(db: None) -> Organisation:
    return OrganisationFactory(name="WZC De Linde", slug="de-linde")


@pytest.fixture
def other_organisation(db: None) -> Organisation:
    return OrganisationFactory(name="Rode Kruis Gent", slug="rode-kruis-gent")


@pytest.fixture
def volunteer(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=Role.VOLUNTEER).user


@pytest.fixture
def coordinator(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user


@pytest.fixture
def outsider(other_organisation: Organisation) -> User:
    return MembershipFactory(organisation=other_organisation, role=Role.COORDINATOR).user


@pytest.fixture
def make_volunteer(organisation: Organisation):  # type: ignore[no-untyped-def]
    def make(org: Organisation | None = None) -> User:
        return MembershipFactory(organisation=org or organisation, role=Role.VOLUNTEER).user

    return make


@pytest.fixture
def api() -> APIClient:
    return CheckedAPIClient()


def client_for(user: User) -> APIClient:
    client = CheckedAPIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def anon_user_factory():  # type: ignore[no-untyped-def]
    return UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    # Every factory user gets a password; with the default hasher the tests that need 50
    # volunteers would spend most of their time hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _reset_rate_limits() -> None:
    """Every test client talks from 127.0.0.1, so the per-address limits would carry over
    from one test to the next (and through Redis, from process to process)."""
    from backend.core.rate_limits import limits_forget_all

    limits_forget_all()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Before any fixture is torn down (the test database's flush among them): let this
    process's publishing thread finish the events the test committed. Otherwise it may still
    be reading board rows while a transactional test's TRUNCATE runs, and PostgreSQL breaks
    the deadlock by failing the flush, which leaves the rows for the next tests."""
    from realtime.events import flush_events

    flush_events()
