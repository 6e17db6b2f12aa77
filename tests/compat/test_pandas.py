"""pandas reads the Atmotube CSV as its clients do: semicolon-separated, a ``Date (GMT)`` column."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pandas as pd
import requests

from tests.compat.conftest import Served

OFFICE = "C2:4E:91:7A:3B:10"


def test_pandas_reads_the_csv_with_the_documented_separator(served: Served) -> None:
    key: Any = served.sandbox.credentials()["atmotube"]["api_key"]
    url = f"{served.base_url}/atmotube/api/v1/data"
    query = {"api_key": key, "mac": OFFICE, "date": "2022-06-13", "limit": "60"}
    frame = pd.read_csv(f"{url}?{urlencode({**query, 'format': 'csv'})}", sep=";")
    json_items = requests.get(url, params=query, timeout=10).json()["data"]["items"]
    assert len(frame) == len(json_items) == 60
    assert "Date (GMT)" in frame.columns
    times = pd.to_datetime(frame["Date (GMT)"], utc=True)
    expected = pd.to_datetime([item["time"] for item in json_items], utc=True)
    assert list(times) == list(expected)
    assert times.is_monotonic_increasing
    assert list(frame["PM2.5 (ug/m3)"]) == [item["pm25"] for item in json_items]
    assert list(frame["Temperature (C)"]) == [item["t"] for item in json_items]
    assert frame["Latitude"].isna().all()  # an indoor device without GPS
