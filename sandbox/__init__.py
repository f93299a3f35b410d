"""The borough API sandbox: seeded, realistic borough portals on loopback, with faults.

Real borough APIs are not reachable from development machines, so the pipeline runs
against this server: every borough of the region, through the protocol its catalogue
entry names (CKAN or Socrata), with that borough's quirks, and faults on demand.

    generator   the truth: typed records per dataset x borough x data day
    volumes     how many rows: city-wide volumes shared out by population
    draws       seeded randomness: one generator per feed-day, Poisson counts
    daily_generators, periodic_generators   realistic records per dataset
    quirks      how each borough writes those records (labels, numbers, nulls, dates)
    ckan        CKAN Action API datastore_search
    socrata     Socrata SODA /resource/<id>.json
    socrata_where   SoQL $where: day bounds and stamp tests
    records     truth -> order -> faults -> quirks, once for both portals
    faults      failures on demand, over HTTP
    settings    config/sandbox/sandbox.yml, validated
    app         routing, faults, request log (no sockets)
    server      SandboxServer: the app on a threaded HTTP server
"""

from sandbox.fault_specs import FAULT_KINDS, FaultSpec, FaultSpecError
from sandbox.generator import truth_records
from sandbox.quirks import Quirk, publish_record
from sandbox.server import SandboxServer
from sandbox.settings import SandboxSettings, load_settings
from sandbox.volumes import Volumes, expected_rows

__all__ = [
    "SandboxServer",
    "truth_records",
    "expected_rows",
    "Volumes",
    "Quirk",
    "publish_record",
    "FaultSpec",
    "FaultSpecError",
    "FAULT_KINDS",
    "SandboxSettings",
    "load_settings",
]
