"""The catalogue loads the real config and refuses broken config with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_files import copy_config, edit_yaml

from ingest.catalogue import PROTOCOLS, load_catalogue
from ingest.errors import CatalogueError
from ingest.protocols import PROTOCOL_CLASSES


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    return copy_config(tmp_path / "config")


def test_london_has_its_33_local_authorities():
    """London is configured with GSS codes E09000001 to E09000033, each once."""
    region = load_catalogue().region
    assert region.name == "London"
    assert [a.code for a in region.areas] == [f"E09{n:06d}" for n in range(1, 34)]
    assert len({a.slug for a in region.areas}) == 33


def test_one_dataset_per_domain_and_a_feed_per_borough():
    """Transport, housing and services each have a dataset; feeds are dataset x borough."""
    catalogue = load_catalogue()
    assert {d.domain for d in catalogue.datasets.values()} >= {"transport", "housing", "services"}
    region_wide = sum(
        d.region_wide for d in catalogue.datasets.values()
    )  # one feed serves the region
    assert len(catalogue.feeds()) == 33 * (len(catalogue.datasets) - region_wide) + region_wide


def test_every_protocol_is_used_and_has_a_connector():
    """Every protocol publishes some borough's feed, and each has a connector class."""
    catalogue = load_catalogue()
    used = {feed.portal.protocol for feed in catalogue.feeds()}
    assert used == set(PROTOCOLS) == set(PROTOCOL_CLASSES)


def test_api_base_url_comes_from_the_environment(monkeypatch):
    """Pointing every portal at another host is a config/environment change, not code."""
    monkeypatch.setenv("CITY_API_BASE_URL", "https://data.example.gov.uk/")
    area = load_catalogue().area("camden")
    assert area.portal.base_url == "https://data.example.gov.uk/camden"


def test_unknown_protocol_is_refused_naming_file_and_borough(config_copy):
    """A typo in a portal's protocol names the file, the borough and the known protocols."""
    edit_yaml(
        config_copy / "regions" / "london.yml",
        lambda d: d["areas"][6]["portal"].__setitem__("protocol", "sharepoint"),
    )
    with pytest.raises(CatalogueError) as error:
        load_catalogue(config_copy)
    message = str(error.value)
    assert (
        "london.yml" in message
        and "E09000007" in message
        and "sharepoint" in message
        and "ckan" in message
    )


def test_missing_key_is_refused_with_its_path(config_copy):
    """A dataset without a date_field says which dataset lacks which key."""
    edit_yaml(
        config_copy / "datasets.yml", lambda d: d["datasets"]["road_casualties"].pop("date_field")
    )
    with pytest.raises(
        CatalogueError, match=r"datasets\.road_casualties: missing required key 'date_field'"
    ):
        load_catalogue(config_copy)


def test_unsafe_field_name_is_refused(config_copy):
    """Field names become SQL identifiers, so anything but [a-z0-9_] is refused on load."""
    edit_yaml(
        config_copy / "datasets.yml",
        lambda d: d["datasets"]["road_casualties"]["fields"].__setitem__(
            'age"; drop table x; --', {"type": "string"}
        ),
    )
    with pytest.raises(CatalogueError, match="SQL identifiers"):
        load_catalogue(config_copy)


def test_bad_threshold_is_refused(config_copy):
    """A failed-feed share outside 0..1 is refused with the key's path."""
    edit_yaml(
        config_copy / "pipeline.yml", lambda d: d["run"].__setitem__("max_failed_feed_share", 3)
    )
    with pytest.raises(CatalogueError, match="run.max_failed_feed_share"):
        load_catalogue(config_copy)


def test_unknown_region_lists_the_configured_ones(config_copy):
    """Asking for a region that is not configured lists the ones that are."""
    with pytest.raises(CatalogueError, match=r"no such region 'atlantis'.*london"):
        load_catalogue(config_copy, region="atlantis")


def _portal(data, slug):
    return next(a for a in data["areas"] if a["slug"] == slug)["portal"]


def test_a_dataset_can_be_published_through_another_protocol():
    """Merton publishes service requests through Open311 and everything else through CKAN."""
    catalogue = load_catalogue()
    merton = catalogue.area("merton")
    assert catalogue.feed("service_requests/merton").portal.protocol == "open311"
    assert catalogue.feed("road_casualties/merton").portal.protocol == "ckan"
    assert merton.portal_for("service_requests").base_url == merton.portal.base_url
    assert catalogue.feed("road_casualties/lambeth").portal.date_format == "epoch_ms"


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda p: p.__setitem__("datasets", {"parking_fines": {"protocol": "open311"}}),
            r"E09000024\).portal.datasets.parking_fines: unknown dataset",
        ),
        (
            lambda p: p.__setitem__("datasets", {"road_casualties": {"protocol": "open311"}}),
            r"road_casualties is published through open311.*wire.open311",
        ),
        (
            lambda p: p.__setitem__(
                "datasets", {"service_requests": {"protocol": "open311", "date_format": "%Y"}}
            ),
            r"open311 always publishes dates as 'iso8601'",
        ),
        (
            lambda p: p.__setitem__("datasets", {"service_requests": {"protocl": "open311"}}),
            r"portal\.datasets\.service_requests\.protocl: unknown key \(did you mean 'protocol'\?\)",
        ),
        (
            lambda p: p.__setitem__("date_format", "epoch_ms"),
            r"'epoch_ms' is not a strftime pattern.*arcgis",
        ),
    ],
)
def test_portal_overrides_and_date_formats_are_checked(config_copy, change, message):
    """Per-dataset portals name real datasets, mapped protocols and the protocol's own date format."""
    edit_yaml(config_copy / "regions" / "london.yml", lambda d: change(_portal(d, "merton")))
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(config_copy)


def test_wire_map_must_name_dataset_fields(config_copy):
    """A wire mapping for a field the dataset does not have is refused, naming it."""
    edit_yaml(
        config_copy / "datasets.yml",
        lambda d: d["datasets"]["service_requests"]["wire"]["open311"]["fields"].__setitem__(
            "priority", "priority"
        ),
    )
    with pytest.raises(CatalogueError, match=r"wire.open311.fields.priority: not a field"):
        load_catalogue(config_copy)


# --- config checked like a compiler would: file:line: key path: what is wrong; allowed ----


def _replace_text(path: Path, old: str, new: str) -> int:
    """Edit a config file as text (comments, order and duplicates kept); the 1-based line edited."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def _error(config_copy: Path) -> str:
    with pytest.raises(CatalogueError) as error:
        load_catalogue(config_copy)
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_an_area_code_outside_the_regions_register_is_refused(config_copy):
    """Westminster typed as E09000034 does not quietly become a 34th code: the register lists 33."""
    london = config_copy / "regions" / "london.yml"
    line = _replace_text(london, "  - code: E09000033\n", "  - code: E09000034\n")
    assert _error(config_copy) == (
        f"{london}:{line}: areas[32] (E09000034).code: 'E09000034' is not in the register of London's areas "
        f"(did you mean 'E09000033'?); allowed: E09000001-E09000033"
    )


def test_a_code_that_names_another_area_in_the_register_is_refused(config_copy):
    """A name and code that disagree with the register (a code copied from the row above) are refused."""
    london = config_copy / "regions" / "london.yml"
    _replace_text(
        london,
        "  - code: E09000033\n    name: Westminster\n",
        "  - code: E09000033\n    name: Westminstr\n",
    )
    assert (
        "areas[32] (E09000033).name: 'Westminstr', but the register names E09000033 'Westminster'"
        in _error(config_copy)
    )


def test_a_region_without_a_register_is_refused(config_copy):
    """Every region declares the register its area codes are checked against."""
    edit_yaml(config_copy / "regions" / "greater-manchester.yml", lambda d: d.pop("register"))
    with pytest.raises(
        CatalogueError, match=r"greater-manchester.yml: top: missing required key 'register'"
    ):
        load_catalogue(config_copy, region="greater-manchester")


def test_a_duplicated_key_is_refused_with_both_lines(config_copy):
    """A second `protocol:` under Westminster's portal would silently win; it is refused instead."""
    london = config_copy / "regions" / "london.yml"
    text = london.read_text(encoding="utf-8")
    start = text.index("slug: westminster")
    first = text[: text.index("protocol:", start)].count("\n") + 1
    london.write_text(
        text[:start]
        + text[start:].replace("      protocol: ", "      protocol: socrata\n      protocol: ", 1)
    )
    assert _error(config_copy) == (
        f"{london}:{first + 1}: areas[32] (E09000033).portal.protocol: duplicate key (first at line {first}); "
        f"YAML would keep only the last one, silently"
    )


def test_a_duplicated_dataset_is_refused(config_copy):
    """Two datasets with one id: the second would replace the first without a word."""
    datasets = config_copy / "datasets.yml"
    text = datasets.read_text(encoding="utf-8")
    datasets.write_text(text + "\n  road_casualties:\n    domain: transport\n", encoding="utf-8")
    assert "datasets.road_casualties: duplicate key (first at line" in _error(config_copy)


@pytest.mark.parametrize(
    "file, old, new, message",
    [
        (
            "pipeline.yml",
            "  retries: 5 ",
            "  retires: 5 ",
            "http.retires: unknown key (did you mean 'retries'?); allowed: ['backoff_factor_s', 'backoff_max_s', "
            "'connect_timeout_s', 'max_pages', 'read_timeout_s', 'retries', 'retry_after_max_s']",
        ),
        (
            "regions/london.yml",
            '    sub_region: Inner London\n    aliases:\n      - "City"',
            '    subregion: Inner London\n    aliases:\n      - "City"',
            "areas[0] (E09000001).subregion: unknown key (did you mean 'sub_region'?); allowed: ['aliases', 'code', "
            "'name', 'portal', 'slug', 'sub_region']",
        ),
        (
            "datasets.yml",
            "    resource: road-casualties\n",
            "    resouce: road-casualties\n",
            "datasets.road_casualties.resouce: unknown key (did you mean 'resource'?)",
        ),
    ],
)
def test_an_unknown_key_is_refused_with_a_suggestion(config_copy, file, old, new, message):
    """A misspelt key is not ignored: the error names its line and the key it probably meant."""
    path = config_copy / file
    line = _replace_text(path, old, new)
    assert _error(config_copy).startswith(f"{path}:{line}: {message}")


@pytest.mark.parametrize(
    "file, old, new, message",
    [
        (
            "pipeline.yml",
            "  retries: 5 ",
            "  retries: five ",
            "http.retries: expected a number, got 'five'",
        ),
        (
            "pipeline.yml",
            "  source_freshness: true ",
            "  source_freshness: sometimes ",
            "run.source_freshness: expected true or false, got 'sometimes'",
        ),
        (
            "datasets.yml",
            "casualty_age: {type: integer,",
            "casualty_age: {type: int,",
            "datasets.road_casualties.fields.casualty_age.type: unknown type 'int' (did you mean 'integer'?); "
            "allowed: ['string', 'date', 'integer', 'number']",
        ),
        (
            "datasets.yml",
            "casualty_ref: {type: string, required: true}",
            "casualty_ref: {type: string, required: yes please}",
            "datasets.road_casualties.fields.casualty_ref.required: expected true or false, got 'yes please'",
        ),
    ],
)
def test_a_wrong_type_is_refused_with_what_is_allowed(config_copy, file, old, new, message):
    """A value of the wrong type or outside its choices names the key path, the line and what is allowed."""
    path = config_copy / file
    line = _replace_text(path, old, new)
    assert _error(config_copy) == f"{path}:{line}: {message}"


def test_broken_yaml_names_the_line():
    """A YAML syntax error is one line naming the file and where the parser stopped."""
    from ingest.config_yaml import load_yaml_text

    with pytest.raises(CatalogueError, match=r"^x\.yml:3: not valid YAML: expected "):
        load_yaml_text("a: 1\nb: [2\nc: 3\n", "x.yml")
