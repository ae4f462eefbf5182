from __future__ import annotations

from ocpp.charge_point import camel_to_snake_case, snake_to_camel_case

from ocppj.casing import camel_keys, snake_keys

PAYLOAD = {
    "connectorId": 1,
    "meterValue": [
        {"timestamp": "t", "sampledValue": [{"value": "1", "measurand": "SoC", "unit": "Percent"}]}
    ],
    "ocppCSMSURL": "x",
    "evseId": 2,
}


def test_cached_conversion_gives_exactly_what_the_ocpp_package_gives() -> None:
    snake = snake_keys(PAYLOAD)
    assert snake == camel_to_snake_case(PAYLOAD)
    assert snake_keys(PAYLOAD) == snake  # second time from the cache
    assert camel_keys(snake) == snake_to_camel_case(snake)
    assert camel_keys({"state_of_charge_soc": 1}) == snake_to_camel_case({"state_of_charge_soc": 1})
