"""The fixture warehouse's hand-made rows for its daily datasets, one dict per dataset.

Road casualties, housing completions, service requests and planning applications as
boroughs publish them, quirks included; fixture_rows.PARTITIONS gathers them.
"""

from __future__ import annotations

from fixture_area_codes import BAD, BRENT, COL, HACKNEY, RBKC, TOWER, WESTMINSTER

# Road casualties: Hackney never delivers this dataset (missing borough)
ROAD_CASUALTIES = {
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
}


# Housing completions
HOUSING_COMPLETIONS = {
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
}


# Service requests: the City of London never delivers this dataset
SERVICE_REQUESTS = {
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
}


# Planning applications (daily, by decision day): Westminster decides
# four majors on 2024-03-01: 121 days with an extension (in time), 46 days
# (in time), 152 days without (late), exactly 91 days (in time); a minor
# does not count. Barking and Dagenham delivers an empty day: 0 majors.
PLANNING_APPLICATIONS = {
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
}
