from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from central_system.authorization import authorize
from central_system.records import Authorization, IdTag, IdTagStatus

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("status", list(IdTagStatus))
def test_a_start_gets_the_provisioned_tags_own_status(status: IdTagStatus) -> None:
    tag = IdTag("T", status)
    assert authorize(tag, NOW, accept_unknown=False, starting=True).status is status


@pytest.mark.parametrize("status", list(IdTagStatus))
def test_authorize_never_answers_concurrent_tx_which_1_6_keeps_for_starts(
    status: IdTagStatus,
) -> None:
    answer = authorize(IdTag("T", status), NOW, accept_unknown=False).status
    assert answer is (IdTagStatus.ACCEPTED if status is IdTagStatus.CONCURRENT_TX else status)


def test_a_concurrent_tx_tag_past_its_expiry_date_is_expired() -> None:
    tag = IdTag("T", IdTagStatus.CONCURRENT_TX, NOW - timedelta(seconds=1))
    for starting in (False, True):
        status = authorize(tag, NOW, accept_unknown=False, starting=starting).status
        assert status is IdTagStatus.EXPIRED


def test_an_accepted_tag_past_its_expiry_date_is_expired() -> None:
    expiry = NOW - timedelta(seconds=1)
    tag = IdTag("T", IdTagStatus.ACCEPTED, expiry, "PARENT")
    assert authorize(tag, NOW, accept_unknown=False) == Authorization(
        IdTagStatus.EXPIRED, expiry, "PARENT"
    )


def test_an_accepted_tag_before_its_expiry_date_is_accepted_with_the_date() -> None:
    expiry = NOW + timedelta(days=1)
    tag = IdTag("T", IdTagStatus.ACCEPTED, expiry)
    assert authorize(tag, NOW, accept_unknown=False) == Authorization(IdTagStatus.ACCEPTED, expiry)


def test_an_unknown_tag_is_invalid_unless_unknown_tags_are_accepted() -> None:
    assert authorize(None, NOW, accept_unknown=False).status is IdTagStatus.INVALID
    assert authorize(None, NOW, accept_unknown=True).status is IdTagStatus.ACCEPTED
