"""The fixture warehouse's hand-made rows for its monthly and quarterly datasets.

One dict per dataset (journeys, bus performance, temporary accommodation, house prices,
household waste), some with the same period a year earlier for the year-on-year
metrics; fixture_rows.PARTITIONS gathers them."""

from __future__ import annotations

from fixture_area_codes import BRENT, COL, HACKNEY, RBKC, TOWER, WESTMINSTER

# Public transport journeys (monthly): the City has March 2023 and
# March 2024 (+15%); Tower Hamlets only March 2024 (no change on last year)
PUBLIC_TRANSPORT_JOURNEYS = {
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
}


# Bus performance (monthly): Brent, two high-frequency routes and a
# low-frequency one without waits
BUS_PERFORMANCE = {
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
}


# Temporary accommodation (quarterly, Q1 2024 = 91 days)
TEMPORARY_ACCOMMODATION = {
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
}


# House prices (monthly): Kensington and Chelsea has March 2023 and 2024,
# Westminster March 2024 only; no price without sales
HOUSE_PRICES = {
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
}


# Household waste (quarterly): recycled = dry recycling + composting + reuse
HOUSEHOLD_WASTE = {
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
