"""The backlog of unanswered messages and their lag, on its own: no event loop, no wire."""

from __future__ import annotations

import math

from simulator.ocpp.backlog import Backlog


def test_an_empty_backlog_bounds_nothing() -> None:
    backlog = Backlog(2)
    assert (backlog.size, backlog.messages, backlog.oldest_issue_s()) == (0, 0, math.inf)


def test_the_oldest_issue_time_moves_on_only_when_the_oldest_message_is_answered() -> None:
    backlog = Backlog(2)
    backlog.enqueued(0, 10.0)
    backlog.enqueued(1, 20.0)
    backlog.enqueued(0, 30.0)
    assert backlog.oldest_issue_s() == 10.0
    # connection 1 answers first: the oldest (connection 0's) is still waiting
    assert backlog.answered(1, 40.0) is False
    assert backlog.oldest_issue_s() == 10.0
    # then connection 0's first: everything answered before the next unanswered one goes
    assert backlog.answered(0, 45.0) is True
    assert backlog.oldest_issue_s() == 30.0
    assert backlog.answered(0, 50.0) is True
    assert backlog.oldest_issue_s() == math.inf
    assert (backlog.size, backlog.messages) == (0, 3)


def test_each_answer_belongs_to_its_connections_oldest_message_and_its_lag_is_counted() -> None:
    backlog = Backlog(2)
    backlog.enqueued(0, 0.0)
    backlog.enqueued(0, 5.0)
    backlog.enqueued(1, 5.0)
    backlog.answered(1, 5.0)  # at once: a zero lag
    backlog.answered(0, 12.0)  # connection 0's first, issued at 0
    backlog.answered(0, 12.0)  # its second, issued at 5
    lag = backlog.lag.summary(60.0)
    assert (lag.p50, lag.max) == (7.0, 12.0)
    assert backlog.lag.count == 3
