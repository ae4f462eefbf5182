"""A charge point's configuration keys."""

from __future__ import annotations

from simulator.ocpp.configuration import KEYS, ChangeStatus, Configuration


def test_every_key_is_reported_with_its_default_until_changed() -> None:
    config = Configuration(2)
    known, unknown = config.get(None)
    assert [k for k, _, _ in known] == list(KEYS)
    assert unknown == []
    assert dict((k, v) for k, _, v in known)["NumberOfConnectors"] == "2"


def test_a_change_is_checked_kept_and_reverting_to_the_default_forgets_it() -> None:
    config = Configuration(1)
    assert config.change("HeartbeatInterval", "60") is ChangeStatus.ACCEPTED
    assert config.int_value("HeartbeatInterval") == 60
    assert config.change("HeartbeatInterval", "0") is ChangeStatus.REJECTED
    assert config.change("HeartbeatInterval", "soon") is ChangeStatus.REJECTED
    assert config.change("AuthorizeRemoteTxRequests", "False") is ChangeStatus.ACCEPTED
    assert config.change("SupportedFeatureProfiles", "Core") is ChangeStatus.REJECTED
    assert config.change("NoSuchKey", "1") is ChangeStatus.NOT_SUPPORTED
    config.set("HeartbeatInterval", KEYS["HeartbeatInterval"].default)
    assert config._changed == {"AuthorizeRemoteTxRequests": "False"}


def test_sampled_data_accepts_only_measurands_the_charge_point_measures() -> None:
    config = Configuration(1)
    assert config.change("MeterValuesSampledData", "SoC, Voltage") is ChangeStatus.ACCEPTED
    assert config.measurands() == frozenset({"SoC", "Voltage"})
    assert config.change("MeterValuesSampledData", "Temperature") is ChangeStatus.REJECTED


def test_unknown_keys_are_listed_apart() -> None:
    known, unknown = Configuration(1).get(["MeterValueSampleInterval", "Nope"])
    assert known == [("MeterValueSampleInterval", False, "60")]
    assert unknown == ["Nope"]


def test_the_authorization_key_is_write_only() -> None:
    config = Configuration(1)
    key = "0123456789abcdef0123456789ABCDEF01234567"
    assert config.change("AuthorizationKey", key) is ChangeStatus.ACCEPTED
    known, _ = config.get(None)
    assert ("AuthorizationKey", False, None) in known
    assert all(key not in (value or "") for _, _, value in known)
    assert config.get(["AuthorizationKey"]) == ([("AuthorizationKey", False, None)], [])


def test_an_authorization_key_must_be_16_to_20_bytes_in_hex_or_it_is_rejected() -> None:
    config = Configuration(1)
    for bad in (
        "ab" * 15,  # 15 bytes
        "ab" * 21,  # 21 bytes
        "a" * 33,  # an odd number of digits
        "not-hex-but-long-enough-0123456789",
        "",
    ):
        assert config.change("AuthorizationKey", bad) is ChangeStatus.REJECTED, bad
    assert config.change("AuthorizationKey", "ab" * 16) is ChangeStatus.ACCEPTED
    assert config.change("AuthorizationKey", "ab" * 20) is ChangeStatus.ACCEPTED
