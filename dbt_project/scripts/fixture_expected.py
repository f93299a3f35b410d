"""The city_metrics values the fixture warehouse's rows must give, worked out by hand.

make_fixture_warehouse.py --check compares them with analytics.city_metrics after
`dbt build`; kept apart from the rows (fixture_rows.py) they are worked out from."""

from __future__ import annotations

from fixture_area_codes import BAD, BRENT, COL, HACKNEY, LONDON, RBKC, TOWER, WESTMINSTER

# Hand-worked city_metrics values for the rows of fixture_rows.py (population 2017,
# targets London Plan 2021): (metric_id, area_code, period_start) -> (value,
# days_covered, boroughs_covered). None = null.
EXPECTED = {
    ("ksi_per_100k", COL, "2024-03-01"): (1 / 8800 * 1e5, 2, 1),
    ("ksi_per_100k", BAD, "2024-03-01"): (2 / 209000 * 1e5, 1, 1),
    ("ksi_per_100k", RBKC, "2024-03-01"): (1 / 159000 * 1e5, 2, 1),
    ("ksi_per_100k", LONDON, "2024-03-01"): (4 / (8800 + 209000 + 159000) * 1e5, 2, 3),
    ("ksi_per_100k", WESTMINSTER, "2024-02-01"): (1 / 242100 * 1e5, 1, 1),
    ("ksi_per_100k", LONDON, "2024-02-01"): (1 / 242100 * 1e5, 1, 1),
    ("net_completions_vs_target", COL, "2024-03-01"): (100 * 14 / (146 * 1 / 365), 1, 1),
    ("net_completions_vs_target", TOWER, "2024-03-01"): (100 * 1366 / (3473 * 2 / 365), 2, 1),
    ("net_completions_vs_target", BRENT, "2024-03-01"): (0.0, 1, 1),
    ("net_completions_vs_target", LONDON, "2024-03-01"): (
        100 * 1380 / (146 / 365 + 3473 * 2 / 365 + 2325 / 365),
        2,
        3,
    ),
    ("affordable_share", COL, "2024-03-01"): (100 * 4 / 14, 1, 1),
    ("affordable_share", TOWER, "2024-03-01"): (100 * 166 / 1366, 2, 1),
    ("affordable_share", BRENT, "2024-03-01"): (None, 1, 1),
    ("affordable_share", LONDON, "2024-03-01"): (100 * 170 / 1380, 2, 3),
    ("service_requests_per_1000", HACKNEY, "2024-03-01"): (4 / 274300 * 1000, 2, 1),
    ("service_requests_per_1000", WESTMINSTER, "2024-03-01"): (3 / 242100 * 1000, 1, 1),
    ("service_requests_per_1000", LONDON, "2024-03-01"): (7 / (274300 + 242100) * 1000, 2, 2),
    ("median_days_to_resolve", HACKNEY, "2024-03-01"): (2.0, 2, 1),
    ("median_days_to_resolve", WESTMINSTER, "2024-03-01"): (12.0, 1, 1),
    ("median_days_to_resolve", LONDON, "2024-03-01"): (4.0, 2, 2),
    ("digital_channel_share", HACKNEY, "2024-03-01"): (50.0, 2, 1),
    ("digital_channel_share", WESTMINSTER, "2024-03-01"): (100 / 3, 1, 1),
    ("digital_channel_share", LONDON, "2024-03-01"): (300 / 7, 2, 2),
    # within service level: Hackney R1 (2 <= 2), R3 (10 <= 28), R4 (0 <= 7) of 4;
    # Westminster W1 (4 <= 10) of 3 (W2 took 20 > 14, W3 open)
    ("resolved_within_service_level_pct", HACKNEY, "2024-03-01"): (75.0, 2, 1),
    ("resolved_within_service_level_pct", WESTMINSTER, "2024-03-01"): (100 / 3, 1, 1),
    ("resolved_within_service_level_pct", LONDON, "2024-03-01"): (400 / 7, 2, 2),
    # journeys: a delivered month covers all its days; the region divides by 31 once
    ("daily_journeys", COL, "2023-03-01"): (4000 / 31, 31, 1),
    ("daily_journeys", LONDON, "2023-03-01"): (4000 / 31, 31, 1),
    ("daily_journeys", COL, "2024-03-01"): (4600 / 31, 31, 1),
    ("daily_journeys", TOWER, "2024-03-01"): (1000.0, 31, 1),
    ("daily_journeys", LONDON, "2024-03-01"): ((4600 + 31000) / 31, 31, 2),
    # change on last year: only the City has both Marches; the region too
    ("journeys_change_yoy", COL, "2023-03-01"): (None, 31, 1),
    ("journeys_change_yoy", LONDON, "2023-03-01"): (None, 31, 0),
    ("journeys_change_yoy", COL, "2024-03-01"): (100 * 600 / 4000, 31, 1),
    ("journeys_change_yoy", TOWER, "2024-03-01"): (None, 31, 1),
    ("journeys_change_yoy", LONDON, "2024-03-01"): (100 * 600 / 4000, 31, 1),
    # excess wait: (1.25 x 6,000 + 0.5 x 4,000) / 10,000 departures
    ("bus_excess_wait_minutes", BRENT, "2024-03-01"): (0.95, 31, 1),
    ("bus_excess_wait_minutes", LONDON, "2024-03-01"): (0.95, 31, 1),
    # TA per 1,000 households (GLA 2017 households), quarter of 91 days
    ("ta_per_1000_households", HACKNEY, "2024-01-01"): (1750 / 115417 * 1000, 91, 1),
    ("ta_per_1000_households", RBKC, "2024-01-01"): (100 / 80200 * 1000, 91, 1),
    ("ta_per_1000_households", LONDON, "2024-01-01"): (1850 / (115417 + 80200) * 1000, 91, 2),
    # majors in time: 3 of 4 in Westminster; none decided in Barking and Dagenham
    ("major_decided_in_time_pct", WESTMINSTER, "2024-03-01"): (75.0, 1, 1),
    ("major_decided_in_time_pct", BAD, "2024-03-01"): (None, 1, 1),
    ("major_decided_in_time_pct", LONDON, "2024-03-01"): (75.0, 2, 2),
    # average price = sum(price x sales) / sales
    ("average_house_price", RBKC, "2023-03-01"): (1_000_000.0, 31, 1),
    ("average_house_price", LONDON, "2023-03-01"): (1_000_000.0, 31, 1),
    ("average_house_price", RBKC, "2024-03-01"): (17_000_005 / 12, 31, 1),
    ("average_house_price", WESTMINSTER, "2024-03-01"): (800_000.25, 31, 1),
    ("average_house_price", LONDON, "2024-03-01"): (21_000_006.25 / 17, 31, 2),
    ("house_price_change_yoy", RBKC, "2023-03-01"): (None, 31, 1),
    ("house_price_change_yoy", LONDON, "2023-03-01"): (None, 31, 0),
    ("house_price_change_yoy", RBKC, "2024-03-01"): (
        100 * (17_000_005 / 12 / 1_000_000 - 1),
        31,
        1,
    ),
    ("house_price_change_yoy", WESTMINSTER, "2024-03-01"): (None, 31, 1),
    ("house_price_change_yoy", LONDON, "2024-03-01"): (
        100 * (17_000_005 / 12 / 1_000_000 - 1),
        31,
        1,
    ),
    # recycling: Tower Hamlets 399.5 of 1,000 t, the City 10 of 100 t
    ("recycling_rate", TOWER, "2024-01-01"): (39.95, 91, 1),
    ("recycling_rate", COL, "2024-01-01"): (10.0, 91, 1),
    ("recycling_rate", LONDON, "2024-01-01"): (100 * 409.5 / 1100, 91, 2),
}
