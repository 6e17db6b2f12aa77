"""The Atrius unit reference: factors, conversions, meter unit checks and the served list."""

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from standin.atrius.units import (
    INTERVAL_DIMENSIONS,
    RATE_DIMENSIONS,
    RESOURCE_TYPES,
    UNITS,
    Unit,
    check_units,
    convert,
    reference,
    unit,
    units_for,
)


def u(resource_type: str, code: str) -> Unit:
    found = unit(resource_type, code)
    assert found is not None, (resource_type, code)
    return found


def test_resource_types_are_exactly_the_five() -> None:
    assert RESOURCE_TYPES == ("electricity", "gas", "water", "temperature", "steam")


def test_every_unit_has_a_lowercase_code_a_name_and_a_known_resource_type() -> None:
    for item in UNITS:
        assert item.code == item.code.lower()
        assert item.name
        assert item.resource_type in RESOURCE_TYPES
        assert item.factor > 0


def test_codes_are_unique_within_a_resource_type() -> None:
    counts = Counter((item.resource_type, item.code) for item in UNITS)
    assert max(counts.values()) == 1


def test_every_dimension_of_a_resource_type_has_exactly_one_base_unit() -> None:
    for resource_type in RESOURCE_TYPES:
        for dimension in {item.dimension for item in units_for(resource_type)}:
            bases = [
                item.code
                for item in units_for(resource_type)
                if item.dimension == dimension and item.factor == 1.0 and item.offset == 0.0
            ]
            assert len(bases) == 1, (resource_type, dimension, bases)


def test_units_for_lists_the_expected_codes() -> None:
    assert [item.code for item in units_for("electricity")] == [
        "wh",
        "kwh",
        "mwh",
        "w",
        "kw",
        "mw",
    ]
    assert {item.code for item in units_for("gas")} == {
        "ccf",
        "mcf",
        "cf",
        "m3",
        "therm",
        "btu",
        "kbtu",
        "mmbtu",
    }
    assert {item.code for item in units_for("water")} == {
        "gal",
        "kgal",
        "l",
        "m3",
        "ccf",
        "cf",
        "gpm",
        "lpm",
    }
    assert {item.code for item in units_for("temperature")} == {"degf", "degc", "k"}
    assert {item.code for item in units_for("steam")} == {
        "lb",
        "klb",
        "mlb",
        "kg",
        "kbtu",
        "mmbtu",
    }
    assert units_for("chilled_water") == ()


def test_dimensions_are_interval_rate_or_temperature() -> None:
    assert {"energy", "volume", "mass"} == INTERVAL_DIMENSIONS
    assert {"power", "flow"} == RATE_DIMENSIONS
    dimensions = {item.dimension for item in UNITS}
    assert dimensions == INTERVAL_DIMENSIONS | RATE_DIMENSIONS | {"temperature"}
    assert u("temperature", "degc").dimension == "temperature"
    assert u("electricity", "kw").dimension == "power"
    assert u("water", "gpm").dimension == "flow"
    assert u("steam", "klb").dimension == "mass"


def test_units_have_human_names() -> None:
    assert u("electricity", "kwh").name == "Kilowatt-hours"
    assert u("temperature", "degf").name == "Degrees Fahrenheit"
    assert u("temperature", "degc").name == "Degrees Celsius"
    assert u("gas", "therm").name == "Therms"


def test_lookup_ignores_case_and_refuses_unknowns() -> None:
    assert unit("electricity", "kWh") == u("electricity", "kwh")
    assert unit("electricity", "therm") is None
    assert unit("chilled_water", "gal") is None


def test_one_kwh_is_one_thousand_wh() -> None:
    assert convert(1.0, u("electricity", "kwh"), u("electricity", "wh")) == 1000.0
    assert convert(1.0, u("electricity", "mwh"), u("electricity", "kwh")) == 1000.0
    assert convert(2500.0, u("electricity", "w"), u("electricity", "kw")) == 2.5


def test_one_therm_is_one_hundred_kbtu() -> None:
    assert convert(1.0, u("gas", "therm"), u("gas", "kbtu")) == pytest.approx(100.0)
    assert convert(1.0, u("gas", "therm"), u("gas", "btu")) == pytest.approx(100_000.0)
    assert convert(1.0, u("gas", "mmbtu"), u("gas", "therm")) == pytest.approx(10.0)


def test_gas_volumes() -> None:
    assert convert(1.0, u("gas", "ccf"), u("gas", "cf")) == pytest.approx(100.0)
    assert convert(1.0, u("gas", "mcf"), u("gas", "cf")) == pytest.approx(1000.0)
    assert convert(1.0, u("gas", "m3"), u("gas", "cf")) == pytest.approx(35.3147, abs=1e-4)


def test_one_ccf_of_water_is_about_748_gallons() -> None:
    assert convert(1.0, u("water", "ccf"), u("water", "gal")) == pytest.approx(748.052, abs=1e-3)
    assert convert(1.0, u("water", "kgal"), u("water", "gal")) == 1000.0
    assert convert(1.0, u("water", "gal"), u("water", "l")) == pytest.approx(3.785411784)
    assert convert(1.0, u("water", "m3"), u("water", "l")) == pytest.approx(1000.0)
    assert convert(1.0, u("water", "gpm"), u("water", "lpm")) == pytest.approx(3.785411784)


def test_steam_mass_and_energy() -> None:
    assert convert(1.0, u("steam", "mlb"), u("steam", "klb")) == pytest.approx(1000.0)
    assert convert(1.0, u("steam", "kg"), u("steam", "lb")) == pytest.approx(2.20462262)
    assert convert(1.0, u("steam", "mmbtu"), u("steam", "kbtu")) == pytest.approx(1000.0)


def test_one_hundred_celsius_is_212_fahrenheit() -> None:
    assert convert(100.0, u("temperature", "degc"), u("temperature", "degf")) == pytest.approx(
        212.0
    )
    assert convert(32.0, u("temperature", "degf"), u("temperature", "degc")) == pytest.approx(0.0)


def test_zero_kelvin_is_minus_459_67_fahrenheit() -> None:
    assert convert(0.0, u("temperature", "k"), u("temperature", "degf")) == pytest.approx(-459.67)
    assert convert(0.0, u("temperature", "degc"), u("temperature", "k")) == pytest.approx(273.15)


def test_converting_to_the_same_unit_returns_the_value_unchanged() -> None:
    degc = u("temperature", "degc")
    assert convert(21.3, degc, degc) == 21.3


def same_dimension_pairs() -> st.SearchStrategy[tuple[Unit, Unit]]:
    pairs = [
        (a, b)
        for a in UNITS
        for b in UNITS
        if a.resource_type == b.resource_type and a.dimension == b.dimension
    ]
    return st.sampled_from(pairs)


@given(same_dimension_pairs(), st.floats(-1e9, 1e9, allow_nan=False))
def test_conversion_round_trips(pair: tuple[Unit, Unit], value: float) -> None:
    source, target = pair
    back = convert(convert(value, source, target), target, source)
    assert math.isclose(back, value, rel_tol=1e-9, abs_tol=1e-6)


@given(st.sampled_from(UNITS), st.floats(-1e9, 1e9, allow_nan=False))
def test_from_base_inverts_to_base(item: Unit, value: float) -> None:
    assert math.isclose(item.from_base(item.to_base(value)), value, rel_tol=1e-9, abs_tol=1e-6)


def test_converting_across_dimensions_raises() -> None:
    with pytest.raises(ValueError, match=r'"kw" \(power\) cannot be converted to "kwh"'):
        convert(1.0, u("electricity", "kw"), u("electricity", "kwh"))


def test_converting_across_resource_types_raises() -> None:
    with pytest.raises(ValueError, match="cannot be converted"):
        convert(1.0, u("gas", "kbtu"), u("steam", "kbtu"))


def test_check_units_accepts_one_dimension() -> None:
    assert check_units("electricity", storageUnit="kwh", displayUnit="mwh", sourceUnit="wh") == {}
    assert check_units("temperature", storageUnit="degf", displayUnit="degc", sourceUnit="k") == {}


def test_check_units_reports_unknown_codes() -> None:
    assert check_units("electricity", storageUnit="kwh", displayUnit="xyz", sourceUnit="wh") == {
        "displayUnit": ['"xyz" is not a valid unit for electricity.']
    }


def test_check_units_reports_unknown_codes_before_dimensions() -> None:
    assert check_units("gas", storageUnit="therm", displayUnit="ccf", sourceUnit="gal") == {
        "sourceUnit": ['"gal" is not a valid unit for gas.']
    }


def test_check_units_reports_fields_of_another_dimension_than_storage() -> None:
    assert check_units("electricity", storageUnit="kwh", displayUnit="kw", sourceUnit="wh") == {
        "displayUnit": ['"kw" (power) cannot be converted to "kwh" (energy).']
    }
    assert check_units("water", storageUnit="gpm", displayUnit="gal", sourceUnit="l") == {
        "displayUnit": ['"gal" (volume) cannot be converted to "gpm" (flow).'],
        "sourceUnit": ['"l" (volume) cannot be converted to "gpm" (flow).'],
    }


def test_check_units_ignores_unknown_resource_types() -> None:
    assert check_units("chilled_water", storageUnit="ton", displayUnit="x", sourceUnit="y") == {}


def test_reference_lists_every_unit_sorted_by_resource_type_then_code() -> None:
    rows = reference()
    assert len(rows) == len(UNITS)
    keys = [(row["resourceType"], row["code"]) for row in rows]
    assert keys == sorted(keys)
    assert {row["resourceType"] for row in rows} == set(RESOURCE_TYPES)
    kwh = {"code": "kwh", "name": "Kilowatt-hours", "resourceType": "electricity"}
    assert kwh | {"dimension": "energy"} in rows
    assert all(set(row) == {"code", "name", "resourceType", "dimension"} for row in rows)
