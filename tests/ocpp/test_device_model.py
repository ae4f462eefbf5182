"""The 2.0.1 device model (`simulator.ocpp.device_model`): Get/SetVariables' statuses and
mutability rules, the values the client reads, and what each GetBaseReport holds."""

from __future__ import annotations

from simulator.ocpp.configuration import Configuration
from simulator.ocpp.device_model import (
    GET_REPORT_ITEMS,
    DeviceModel,
    GetStatus,
    Mutability,
    SetStatus,
)


def device() -> DeviceModel:
    return DeviceModel(
        Configuration(2),
        model="150kW CCS1+CHAdeMO",
        vendor="chargenet",
        connectors=("CCS1", "CHAdeMO"),
        power_kw=150.0,
    )


def comp(name: str, evse: int | None = None, connector: int | None = None) -> dict[str, object]:
    out: dict[str, object] = {"name": name}
    if evse is not None:
        out["evse"] = {"id": evse} if connector is None else {"id": evse, "connector_id": connector}
    return out


def var(name: str, instance: str | None = None) -> dict[str, str]:
    return {"name": name} if instance is None else {"name": name, "instance": instance}


def test_a_known_variable_reads_its_default_and_an_unknown_one_says_which_part_is_unknown() -> None:
    d = device()
    assert d.get(comp("OCPPCommCtrlr"), var("HeartbeatInterval"), None) == (
        GetStatus.ACCEPTED,
        "300",
    )
    assert d.get(comp("NoSuchCtrlr"), var("HeartbeatInterval"), None)[0] is (
        GetStatus.UNKNOWN_COMPONENT
    )
    assert d.get(comp("OCPPCommCtrlr"), var("NoSuchVariable"), None)[0] is (
        GetStatus.UNKNOWN_VARIABLE
    )
    # an instance the station does not have is another variable: unknown
    assert d.get(comp("OCPPCommCtrlr"), var("MessageAttempts"), None)[0] is (
        GetStatus.UNKNOWN_VARIABLE
    )
    assert d.get(comp("OCPPCommCtrlr"), var("MessageAttempts", "TransactionEvent"), None) == (
        GetStatus.ACCEPTED,
        "3",
    )


def test_only_the_actual_attribute_exists_and_a_write_only_variable_is_never_read() -> None:
    d = device()
    assert d.get(comp("OCPPCommCtrlr"), var("HeartbeatInterval"), "Target")[0] is (
        GetStatus.NOT_SUPPORTED_ATTRIBUTE_TYPE
    )
    assert d.get(comp("SecurityCtrlr"), var("BasicAuthPassword"), "Actual") == (
        GetStatus.REJECTED,
        None,
    )


def test_the_topology_has_one_evse_whose_connectors_are_the_ports() -> None:
    d = device()
    assert d.get(comp("Connector", 1, 2), var("ConnectorType"), None) == (
        GetStatus.ACCEPTED,
        "CHAdeMO",
    )
    assert d.get(comp("Connector", 1, 3), var("ConnectorType"), None)[0] is (
        GetStatus.UNKNOWN_COMPONENT
    )
    assert d.get(comp("EVSE", 2), var("Power"), None)[0] is GetStatus.UNKNOWN_COMPONENT
    assert d.get(comp("EVSE", 1), var("Power"), None) == (GetStatus.ACCEPTED, "150000")


def test_a_read_write_variable_takes_a_valid_value_and_refuses_an_invalid_one() -> None:
    d = device()
    hb = (comp("OCPPCommCtrlr"), var("HeartbeatInterval"))
    assert d.set(*hb, None, "0")[0] is SetStatus.REJECTED  # a heartbeat needs 1 s at least
    assert d.set(*hb, None, "ten")[0] is SetStatus.REJECTED
    status, changed = d.set(*hb, "Actual", "120")
    assert status is SetStatus.ACCEPTED
    assert changed is not None
    assert changed.name == "HeartbeatInterval"
    assert d.get(*hb, None) == (GetStatus.ACCEPTED, "120")
    measurands = (comp("SampledDataCtrlr"), var("TxUpdatedMeasurands"))
    assert d.set(*measurands, None, "Voltage,Bogus")[0] is SetStatus.REJECTED
    assert d.set(*measurands, None, "Voltage,Voltage")[0] is SetStatus.REJECTED
    assert d.set(*measurands, None, "Energy.Active.Import.Register,SoC")[0] is (SetStatus.ACCEPTED)
    assert d.members("SampledDataCtrlr", "TxUpdatedMeasurands") == {
        "Energy.Active.Import.Register",
        "SoC",
    }
    assert d.set(comp("AuthCtrlr"), var("LocalPreAuthorize"), None, "yes")[0] is (
        SetStatus.REJECTED
    )


def test_a_read_only_variable_and_an_unknown_one_are_never_set() -> None:
    d = device()
    assert d.set(comp("TxCtrlr"), var("TxStartPoint"), None, "Authorized")[0] is (
        SetStatus.REJECTED
    )
    assert d.set(comp("Nope"), var("X"), None, "1")[0] is SetStatus.UNKNOWN_COMPONENT
    assert d.set(comp("TxCtrlr"), var("X"), None, "1")[0] is SetStatus.UNKNOWN_VARIABLE
    assert d.set(comp("TxCtrlr"), var("EVConnectionTimeOut"), "MaxSet", "30")[0] is (
        SetStatus.NOT_SUPPORTED_ATTRIBUTE_TYPE
    )
    assert d.value("TxCtrlr", "TxStartPoint") == "EVConnected,Authorized"


def test_the_variables_the_client_reads_share_its_configuration() -> None:
    config = Configuration(1)
    d = DeviceModel(config, model="m", vendor="v", connectors=("CCS1",), power_kw=50.0)
    config.set("HeartbeatInterval", "900")  # what an accepted boot's interval does
    assert d.get(comp("OCPPCommCtrlr"), var("HeartbeatInterval"), None)[1] == "900"
    interval = var("MessageAttemptInterval", "TransactionEvent")
    assert d.set(comp("OCPPCommCtrlr"), interval, None, "7")[0] is SetStatus.ACCEPTED
    assert config.int_value("TransactionMessageRetryInterval") == 7
    attempts = var("MessageAttempts", "TransactionEvent")
    assert d.set(comp("OCPPCommCtrlr"), attempts, None, "5")[0] is SetStatus.ACCEPTED
    assert config.int_value("TransactionMessageAttempts") == 5


def test_a_full_report_lists_every_variable_once_with_its_mutability_and_no_write_only_value() -> (
    None
):
    d = device()
    full = d.report("FullInventory")
    keys = [
        (
            e["component"]["name"],
            str(e["component"].get("evse")),
            e["variable"]["name"],
            e["variable"].get("instance"),
        )
        for e in full
    ]
    assert len(keys) == len(set(keys))
    assert len(full) > GET_REPORT_ITEMS  # more than one NotifyReport
    password = next(e for e in full if e["variable"]["name"] == "BasicAuthPassword")
    assert password["variableAttribute"] == [
        {"type": "Actual", "mutability": "WriteOnly", "persistent": True, "constant": False}
    ]
    for component in (
        "OCPPCommCtrlr",
        "SampledDataCtrlr",
        "AlignedDataCtrlr",
        "TxCtrlr",
        "AuthCtrlr",
        "SecurityCtrlr",
        "DeviceDataCtrlr",
        "ClockCtrlr",
        "ChargingStation",
        "EVSE",
        "Connector",
    ):
        assert any(e["component"]["name"] == component for e in full), component


def test_the_configuration_report_holds_what_a_csms_may_set_and_the_summary_the_states() -> None:
    d = device()
    configuration = d.report("ConfigurationInventory")
    assert configuration
    assert all(
        e["variableAttribute"][0]["mutability"] != Mutability.READ_ONLY.value for e in configuration
    )
    d.set_availability(1, 2, "Occupied")
    summary = d.report("SummaryInventory")
    assert {e["variable"]["name"] for e in summary} == {"AvailabilityState"}
    states = {
        (e["component"]["name"], str(e["component"].get("evse"))): e["variableAttribute"][0][
            "value"
        ]
        for e in summary
    }
    assert states[("Connector", "{'id': 1, 'connectorId': 2}")] == "Occupied"
    assert states[("Connector", "{'id': 1, 'connectorId': 1}")] == "Available"
    assert d.report("NoSuchBase") == []


def test_security_ctrlr_reports_each_stations_identity_profile_and_certificates_read_only() -> None:
    config = Configuration(1)
    mine = DeviceModel(
        config,
        model="m",
        vendor="v",
        connectors=("CCS1",),
        power_kw=50.0,
        identity="cp-7",
        security_profile=3,
        certificate_entries=2,
    )
    other = DeviceModel(config, model="m", vendor="v", connectors=("CCS1",), power_kw=50.0)
    security = comp("SecurityCtrlr")
    values = {
        name: (mine.get(security, var(name), None), other.get(security, var(name), None))
        for name in ("Identity", "SecurityProfile", "CertificateEntries")
    }
    accepted = GetStatus.ACCEPTED
    assert values == {
        "Identity": ((accepted, "cp-7"), (accepted, "")),
        "SecurityProfile": ((accepted, "3"), (accepted, "1")),
        "CertificateEntries": ((accepted, "2"), (accepted, "0")),
    }
    for name in values:
        assert mine.set(security, var(name), None, "1") == (SetStatus.REJECTED, None)


def test_smart_charging_ctrlr_reads_the_stations_smart_charging_keys_and_its_entries() -> None:
    config = Configuration(2)
    config.set("ChargingScheduleAllowedChargingRateUnit", "Power")
    config.set("ChargeProfileMaxStackLevel", "3")
    d = DeviceModel(config, model="m", vendor="v", connectors=("CCS1",), power_kw=150.0)
    smart = comp("SmartChargingCtrlr")
    assert d.get(smart, var("RateUnit"), None) == (GetStatus.ACCEPTED, "W")
    assert d.get(smart, var("ProfileStackLevel"), None) == (GetStatus.ACCEPTED, "3")
    assert d.get(smart, var("Entries", "ChargingProfiles"), None) == (GetStatus.ACCEPTED, "0")
    d.set_live("SmartChargingCtrlr", "Entries", "4")
    assert d.get(smart, var("Entries", "ChargingProfiles"), None) == (GetStatus.ACCEPTED, "4")
    entries = next(
        e for e in d.report("FullInventory") if e["variable"] == var("Entries", "ChargingProfiles")
    )
    assert entries["variableCharacteristics"]["maxLimit"] == 10
    assert entries["variableAttribute"][0]["value"] == "4"
    assert d.set(smart, var("Enabled"), None, "false")[0] is SetStatus.ACCEPTED
    assert not d.smart_charging()


def test_a_station_without_smart_charging_reads_it_unavailable_and_cannot_enable_it() -> None:
    config = Configuration(1)
    config.set("SupportedFeatureProfiles", "Core,RemoteTrigger")
    d = DeviceModel(config, model="m", vendor="v", connectors=("CCS1",), power_kw=150.0)
    smart = comp("SmartChargingCtrlr")
    assert d.get(smart, var("Available"), None) == (GetStatus.ACCEPTED, "false")
    assert d.get(smart, var("Enabled"), None) == (GetStatus.ACCEPTED, "false")
    assert d.set(smart, var("Enabled"), None, "true")[0] is SetStatus.REJECTED
    assert not d.smart_charging()
