"""The fixture warehouse's hand-made rows and the city_metrics values they must give.

Rows as boroughs publish them (aliases in any case and spacing, every date layout, null
markers, odd numbers, a row loaded twice, an empty partition, a missing borough), and
EXPECTED, worked out by hand: make_fixture_warehouse.py lands the rows and --check compares.
"""

from __future__ import annotations

COL, BAD, BRENT, HACKNEY = "E09000001", "E09000002", "E09000005", "E09000012"
RBKC, TOWER, WESTMINSTER, LONDON = "E09000020", "E09000030", "E09000033", "E12000007"

# (dataset, borough, data day, loaded at) -> rows of published text.
# A partition with [] rows was delivered empty: it still counts as covered.
PARTITIONS: dict[tuple[str, str, str, str], list[dict[str, str | None]]] = {
    # --- road casualties: Hackney never delivers this dataset (missing borough)
    ("road_casualties", COL, "2024-03-01", "2024-03-02 02:10:00"): [
        dict(
            casualty_ref="C1",
            accident_date="2024-03-01",
            borough="  city of   London ",
            severity="Serious",
            road_user_type="Pedestrian",
            casualty_age="34",
        ),
        dict(
            casualty_ref="C2",
            accident_date="2024-03-01",
            borough="City",
            severity="Slight",
            road_user_type="Pedal cyclist",
            casualty_age="n/a",
        ),
    ],
    ("road_casualties", COL, "2024-03-02", "2024-03-03 02:10:00"): [],
    ("road_casualties", BAD, "2024-03-01", "2024-03-02 02:11:00"): [
        dict(
            casualty_ref="BD1",
            accident_date="01/03/2024",
            borough="Barking & Dagenham",
            severity="Fatal",
            road_user_type="Car occupant",
            casualty_age=" 45 ",
        ),
        dict(
            casualty_ref="BD2",
            accident_date="1/3/2024",
            borough="LB Barking and Dagenham",
            severity="Slight",
            road_user_type="Pedal cyclist",
            casualty_age="-",
        ),
        dict(
            casualty_ref="BD3",
            accident_date="01/03/2024",
            borough="barking   and dagenham",
            severity="Serious",
            road_user_type="Powered two-wheeler",
            casualty_age="12.0",
        ),
    ],
    # KC2 is first published as Serious, then corrected to Slight in a later
    # partition: staging keeps the latest loaded copy only.
    ("road_casualties", RBKC, "2024-03-01", "2024-03-02 02:12:00"): [
        dict(
            casualty_ref="KC2",
            accident_date="2024-03-01",
            borough="RBKC",
            severity="Serious",
            road_user_type="Other vehicle occupant",
            casualty_age="",
        ),
    ],
    ("road_casualties", RBKC, "2024-03-02", "2024-03-03 02:12:00"): [
        dict(
            casualty_ref="KC1",
            accident_date="2024-03-02",
            borough="Kensington & Chelsea",
            severity="Serious",
            road_user_type="Bus or coach occupant",
            casualty_age="",
        ),
        dict(
            casualty_ref="KC2",
            accident_date="2024-03-01",
            borough="rbkc",
            severity="Slight",
            road_user_type="Other vehicle occupant",
            casualty_age="NULL",
        ),
    ],
    ("road_casualties", WESTMINSTER, "2024-02-29", "2024-03-01 02:13:00"): [
        dict(
            casualty_ref="W1",
            accident_date="2024-02-29T00:00:00.000",
            borough="CITY OF WESTMINSTER",
            severity="Serious",
            road_user_type="Pedestrian",
            casualty_age="70",
        ),
    ],
    # --- housing completions
    ("housing_completions", COL, "2024-03-01", "2024-03-02 02:20:00"): [
        dict(
            completion_ref="H1",
            completion_date="2024-03-01",
            borough="City of London",
            tenure="Market",
            units_completed="10",
            units_lost="0",
        ),
        dict(
            completion_ref="H2",
            completion_date="2024-03-01",
            borough="Corporation of London",
            tenure="Social rent",
            units_completed=" 5 ",
            units_lost="1",
        ),
    ],
    ("housing_completions", TOWER, "2024-03-01", "2024-03-02 02:21:00"): [
        dict(
            completion_ref="TH1",
            completion_date="2024-03-01T00:00:00.000",
            borough="LB Tower Hamlets",
            tenure="Market",
            units_completed="1,234",
            units_lost="34",
        ),
        dict(
            completion_ref="TH2",
            completion_date="2024-03-01T00:00:00.000",
            borough="Tower Hamlets Council",
            tenure="Intermediate",
            units_completed="100",
            units_lost="0",
        ),
        dict(
            completion_ref="TH3",
            completion_date="2024-03-01T00:00:00.000",
            borough="tower hamlets",
            tenure="Affordable rent",
            units_completed="66",
            units_lost="0.0",
        ),
    ],
    ("housing_completions", TOWER, "2024-03-02", "2024-03-03 02:21:00"): [],
    ("housing_completions", BRENT, "2024-03-01", "2024-03-02 02:22:00"): [
        dict(
            completion_ref="B1",
            completion_date="2024-03-01T09:30:00",
            borough="london borough of brent",
            tenure="Market",
            units_completed="5",
            units_lost="5",
        ),
    ],
    # --- service requests: the City of London never delivers this dataset
    ("service_requests", HACKNEY, "2024-03-01", "2024-03-02 02:30:00"): [
        dict(
            request_ref="R1",
            requested_date="2024-03-01T00:00:00.000",
            borough="LB Hackney",
            category="Fly-tipping",
            channel="Online",
            status="Closed",
            closed_date="2024-03-03T00:00:00.000",
        ),
        dict(
            request_ref="R2",
            requested_date="2024-03-01T00:00:00.000",
            borough="HACKNEY",
            category="Missed bin",
            channel="App",
            status="Open",
            closed_date="N/A",
        ),
        dict(
            request_ref="R3",
            requested_date="2024-03-01T00:00:00.000",
            borough="London  Borough of Hackney",
            category="Pothole",
            channel="Phone",
            status="Closed",
            closed_date="2024-03-11T00:00:00.000",
        ),
    ],
    ("service_requests", HACKNEY, "2024-03-02", "2024-03-03 02:30:00"): [
        dict(
            request_ref="R4",
            requested_date="2024-03-02T00:00:00.000",
            borough="hackney ",
            category="Noise",
            channel="In person",
            status="Closed",
            closed_date="2024-03-02T00:00:00.000",
        ),
    ],
    ("service_requests", WESTMINSTER, "2024-03-01", "2024-03-02 02:31:00"): [
        dict(
            request_ref="W1",
            requested_date="2024-03-01T00:00:00.000",
            borough="City of Westminster",
            category="Graffiti",
            channel="Email",
            status="Closed",
            closed_date="2024-03-05T00:00:00.000",
        ),
        dict(
            request_ref="W2",
            requested_date="2024-03-01T00:00:00.000",
            borough="westminster city council",
            category="Street lighting",
            channel="Online",
            status="Closed",
            closed_date="2024-03-21T00:00:00.000",
        ),
        dict(
            request_ref="W3",
            requested_date="2024-03-01T00:00:00.000",
            borough="CITY OF WESTMINSTER",
            category="Abandoned vehicle",
            channel="Email",
            status="Open",
            closed_date=None,
        ),
    ],
    # --- public transport journeys (monthly): the City has March 2023 and
    # March 2024 (+15%); Tower Hamlets only March 2024 (no change on last year)
    ("public_transport_journeys", COL, "2023-03-01", "2023-04-15 02:40:00"): [
        dict(
            journeys_ref="J1",
            month="2023-03-01",
            borough="City of London",
            mode="Bus",
            journeys="1000",
        ),
        dict(
            journeys_ref="J2",
            month="01/03/2023",
            borough="city of london",
            mode="Underground",
            journeys="3,000",
        ),
    ],
    ("public_transport_journeys", COL, "2024-03-01", "2024-04-15 02:40:00"): [
        dict(
            journeys_ref="J3",
            month="2024-03-01",
            borough="City of London",
            mode="Bus",
            journeys="1,200",
        ),
        dict(
            journeys_ref="J4",
            month="2024-03-01",
            borough="City",
            mode="Underground",
            journeys=" 3400 ",
        ),
    ],
    ("public_transport_journeys", TOWER, "2024-03-01", "2024-04-15 02:41:00"): [
        dict(
            journeys_ref="TJ1",
            month="2024-03-01T00:00:00.000",
            borough="LB Tower Hamlets",
            mode="DLR",
            journeys="31,000",
        ),
    ],
    # --- bus performance (monthly): Brent, two high-frequency routes and a
    # low-frequency one without waits
    ("bus_performance", BRENT, "2024-03-01", "2024-04-22 02:42:00"): [
        dict(
            route_month_ref="BR18",
            month="2024-03-01",
            borough="Brent",
            route="18",
            service_type="High frequency",
            scheduled_wait_minutes="4.5",
            actual_wait_minutes="5.75",
            observed_departures="6,000",
        ),
        dict(
            route_month_ref="BR297",
            month="2024-03-01",
            borough="brent",
            route="297",
            service_type="Low frequency",
            scheduled_wait_minutes="n/a",
            actual_wait_minutes="",
            observed_departures="1500",
        ),
        dict(
            route_month_ref="BR83",
            month="2024-03-01",
            borough="BRENT",
            route="83",
            service_type="high frequency",
            scheduled_wait_minutes="3.0",
            actual_wait_minutes=" 3.5 ",
            observed_departures="4000",
        ),
    ],
    # --- temporary accommodation (quarterly, Q1 2024 = 91 days)
    ("temporary_accommodation", HACKNEY, "2024-01-01", "2024-06-15 02:43:00"): [
        dict(
            ta_ref="TA1",
            quarter="2024-01-01T00:00:00.000",
            borough="LB Hackney",
            accommodation_type="Nightly paid",
            households="1,500",
            households_with_children="1,000",
        ),
        dict(
            ta_ref="TA2",
            quarter="2024-01-01T00:00:00.000",
            borough="Hackney",
            accommodation_type="Hostel",
            households="250",
            households_with_children="n/a",
        ),
    ],
    ("temporary_accommodation", RBKC, "2024-01-01", "2024-06-15 02:44:00"): [
        dict(
            ta_ref="KTA1",
            quarter="01/01/2024",
            borough="RBKC",
            accommodation_type="Bed and breakfast",
            households="100",
            households_with_children="70",
        ),
    ],
    # --- planning applications (daily, by decision day): Westminster decides
    # four majors on 2024-03-01: 121 days with an extension (in time), 46 days
    # (in time), 152 days without (late), exactly 91 days (in time); a minor
    # does not count. Barking and Dagenham delivers an empty day: 0 majors.
    ("planning_applications", WESTMINSTER, "2024-03-01", "2024-03-02 02:45:00"): [
        dict(
            application_ref="P1",
            decision_date="2024-03-01",
            borough="City of Westminster",
            received_date="2023-11-01",
            development_type="Major",
            decision="Granted",
            extension_agreed="Yes",
        ),
        dict(
            application_ref="P2",
            decision_date="2024-03-01",
            borough="Westminster",
            received_date="2024-01-15",
            development_type="MAJOR",
            decision="Refused",
            extension_agreed="n/a",
        ),
        dict(
            application_ref="P3",
            decision_date="2024-03-01",
            borough="westminster",
            received_date="2023-10-01",
            development_type="Major",
            decision="Granted",
            extension_agreed="No",
        ),
        dict(
            application_ref="P4",
            decision_date="2024-03-01",
            borough="City of Westminster",
            received_date="01/12/2023",
            development_type="Major",
            decision="Granted",
            extension_agreed=None,
        ),
        dict(
            application_ref="P5",
            decision_date="2024-03-01",
            borough="City of Westminster",
            received_date="2023-06-01",
            development_type="Minor",
            decision="Granted",
            extension_agreed="No",
        ),
    ],
    ("planning_applications", BAD, "2024-03-02", "2024-03-03 02:45:00"): [],
    # --- house prices (monthly): Kensington and Chelsea has March 2023 and 2024,
    # Westminster March 2024 only; no price without sales
    ("house_prices", RBKC, "2023-03-01", "2023-04-15 02:46:00"): [
        dict(
            price_ref="K1",
            month="2023-03-01",
            borough="RBKC",
            property_type="Flat",
            sales="10",
            average_price="1,000,000",
        ),
        dict(
            price_ref="K2",
            month="2023-03-01",
            borough="RBKC",
            property_type="Terraced",
            sales="0",
            average_price="n/a",
        ),
    ],
    ("house_prices", RBKC, "2024-03-01", "2024-04-15 02:46:00"): [
        dict(
            price_ref="K3",
            month="2024-03-01",
            borough="Kensington & Chelsea",
            property_type="Flat",
            sales="10",
            average_price="1,100,000.5",
        ),
        dict(
            price_ref="K4",
            month="2024-03-01",
            borough="rbkc",
            property_type="Detached",
            sales="2",
            average_price="3000000",
        ),
    ],
    ("house_prices", WESTMINSTER, "2024-03-01", "2024-04-15 02:47:00"): [
        dict(
            price_ref="W1",
            month="2024-03-01T00:00:00.000",
            borough="City of Westminster",
            property_type="Flat",
            sales="5",
            average_price="800000.25",
        ),
    ],
    # --- household waste (quarterly): recycled = dry recycling + composting + reuse
    ("household_waste", TOWER, "2024-01-01", "2024-05-31 02:48:00"): [
        dict(
            waste_ref="TW1",
            quarter="2024-01-01",
            borough="Tower Hamlets",
            stream="Residual",
            tonnes="600.5",
        ),
        dict(
            waste_ref="TW2",
            quarter="2024-01-01",
            borough="Tower Hamlets",
            stream="Dry recycling",
            tonnes="250",
        ),
        dict(
            waste_ref="TW3",
            quarter="2024-01-01",
            borough="Tower Hamlets",
            stream="Composting",
            tonnes="99.5",
        ),
        dict(
            waste_ref="TW4",
            quarter="2024-01-01",
            borough="Tower Hamlets",
            stream="Reuse",
            tonnes="50",
        ),
    ],
    ("household_waste", COL, "2024-01-01", "2024-05-31 02:49:00"): [
        dict(
            waste_ref="CW1",
            quarter="2024-01-01",
            borough="City of London",
            stream="Residual",
            tonnes="90",
        ),
        dict(
            waste_ref="CW2",
            quarter="2024-01-01",
            borough="City of London",
            stream="Dry recycling",
            tonnes="10.0",
        ),
    ],
}

# Hand-worked city_metrics values for the rows above (population 2017, targets
# London Plan 2021): (metric_id, area_code, period_start) -> (value, days_covered,
# boroughs_covered). None = null.
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
