"""Failed logins are rate-limited per (address, id) and per address, before any hashing."""

from __future__ import annotations

from central_system.login_throttle import LoginThrottle, ThrottlePolicy, address_key

POLICY = ThrottlePolicy(pair_burst=3, pair_refill_s=10, address_burst=5, address_refill_s=2)


class Clock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def test_an_address_waits_after_its_burst_of_failures_for_one_id() -> None:
    clock = Clock()
    throttle = LoginThrottle(POLICY, clock)
    for _ in range(3):
        assert throttle.retry_after_s("10.0.0.1", "CP1") == 0
        throttle.failed("10.0.0.1", "CP1")
    assert throttle.retry_after_s("10.0.0.1", "CP1") == 10
    # Another id from the same address, and the same id from another address, go ahead.
    assert throttle.retry_after_s("10.0.0.1", "CP2") == 0
    assert throttle.retry_after_s("10.0.0.2", "CP1") == 0
    clock.now_s += 4
    assert throttle.retry_after_s("10.0.0.1", "CP1") == 6
    clock.now_s += 6
    assert throttle.retry_after_s("10.0.0.1", "CP1") == 0


def test_an_address_trying_many_ids_waits_after_its_own_burst() -> None:
    clock = Clock()
    throttle = LoginThrottle(POLICY, clock)
    for number in range(5):
        throttle.failed("10.0.0.1", f"CP{number}")
    assert throttle.retry_after_s("10.0.0.1", "CP99") == 2
    assert throttle.retry_after_s("10.0.0.2", "CP99") == 0
    clock.now_s += 2
    assert throttle.retry_after_s("10.0.0.1", "CP99") == 0


def test_a_success_clears_the_count_of_its_pair() -> None:
    throttle = LoginThrottle(POLICY, Clock())
    for _ in range(3):
        throttle.failed("10.0.0.1", "CP1")
    throttle.succeeded("10.0.0.1", "CP1")
    assert throttle.retry_after_s("10.0.0.1", "CP1") == 0


def test_ipv6_addresses_count_by_their_64_and_mapped_ipv4_as_ipv4() -> None:
    assert address_key("2001:db8::1") == address_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert address_key("::ffff:10.0.0.1") == "10.0.0.1"
    assert address_key("10.0.0.1") == "10.0.0.1"


def test_the_buckets_kept_are_bounded() -> None:
    clock = Clock()
    throttle = LoginThrottle(ThrottlePolicy(max_tracked=50), clock)
    for number in range(1000):
        throttle.failed(f"10.0.{number // 250}.{number % 250}", "CP1")
    assert throttle.tracked <= 100
