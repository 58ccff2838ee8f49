"""The run's outputs: the summary table, the JSON document and JUnit XML that CI tools read."""

import json
import xml.etree.ElementTree as ET

from rich.console import Console

from exchangesim.client.audit_check import KindCheck
from exchangesim.client.report import junit_xml, run_document, summary_table, write_json, write_junit
from exchangesim.client.runner import ScenarioResult

PASSED = ScenarioResult(
    "lost-ack",
    True,
    0.25,
    {"orders": 20, "acks_lost": 20},
    {"lost_ack": 20},
    (KindCheck("lost_ack", 20, 20, True),),
    ("lost_ack",),
    True,
)
FAILED = ScenarioResult(
    "book-resync",
    False,
    1.5,
    {},
    {"gap": 1},
    (KindCheck("gap", 1, 2, False, unobservable=1),),
    ("gap",),
    True,
    "gap: the client saw 1, the audit holds 2",
)


def test_the_json_document_holds_the_run_and_each_scenario(tmp_path):
    document = run_document(
        [PASSED, FAILED], base_url="http://127.0.0.1:1", symbol="BTC/USD", profile="book-gaps", kinds=["gap"]
    )
    path = tmp_path / "run.json"
    write_json(path, document)
    loaded = json.loads(path.read_text("utf-8"))
    assert loaded["passed"] is False and loaded["profile"] == "book-gaps"
    assert loaded["profile_injects"] == ["gap"]
    assert [scenario["name"] for scenario in loaded["scenarios"]] == ["lost-ack", "book-resync"]
    assert loaded["scenarios"][0] == {
        "name": "lost-ack",
        "passed": True,
        "duration_s": 0.25,
        "figures": {"orders": 20, "acks_lost": 20},
        "observed_faults": {"lost_ack": 20},
        "faults": [{"kind": "lost_ack", "observed": 20, "audited": 20, "matched": True, "unobservable": 0}],
        "expected_faults": ["lost_ack"],
        "audit_checked": True,
        "detail": "",
    }
    assert loaded["scenarios"][1]["detail"] == "gap: the client saw 1, the audit holds 2"


def test_the_junit_file_is_valid_xml_with_a_case_per_scenario_and_a_failure_per_failed_one(tmp_path):
    path = tmp_path / "junit.xml"
    write_junit(path, [PASSED, FAILED], "book-gaps")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures")) == ("2", "1")
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "exchangesim.scenarios[book-gaps]"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == ["lost-ack", "book-resync"]
    assert [len(case.findall("failure")) for case in cases] == [0, 1]
    assert cases[1].find("failure").get("message") == FAILED.detail
    assert json.loads(cases[0].find("system-out").text)["figures"]["orders"] == 20
    assert path.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")


def test_a_run_without_a_profile_is_its_own_suite():
    suite = junit_xml([PASSED], None).getroot().find("testsuite")
    assert suite.get("name") == "exchangesim.scenarios"
    assert suite.find("properties/property").attrib == {"name": "profile", "value": "none"}


def test_the_summary_shows_results_figures_and_faults_observed_against_audited():
    console = Console(record=True, width=200)
    console.print(summary_table([PASSED, FAILED], "book-gaps"))
    text = console.export_text()
    assert "fault profile book-gaps" in text
    assert "lost-ack" in text and "pass" in text and "FAIL" in text
    assert "acks_lost 20" in text and "lost_ack 20 = 20" in text
    assert "gap 1 ≠ 2 (+1 after the last message read)" in text


def test_without_the_audit_the_faults_seen_are_shown_as_not_audited():
    unaudited = ScenarioResult("duplicates", True, 0.1, {}, {"duplicate": 3}, (), (), False)
    console = Console(record=True, width=200)
    console.print(summary_table([unaudited], None))
    text = console.export_text()
    assert "duplicate 3" in text and "not audited (no admin token)" in text
