from simulator.model import id_tags


def test_a_tag_decodes_to_the_vehicle_and_driver_it_encodes() -> None:
    assert id_tags.decode(id_tags.encode(3, 1234567)) == (3, 1234567)


def test_a_tag_fits_in_an_ocpp_id_tag() -> None:
    assert len(id_tags.encode(99, 9_999_999)) <= 20


def test_a_tag_not_written_by_the_model_decodes_to_none() -> None:
    assert id_tags.decode("04A1B2C3") is None
    assert id_tags.decode("D031234567x") is None
