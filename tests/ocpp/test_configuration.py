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
