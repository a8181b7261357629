"""The GP Connect layers end to end: a real uvicorn server on a loopback port, real HTTP through httpx."""

import gzip
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest
from gpc_requests import default_claims, gpc_headers
from gpc_resources import appointment
from lxml import etree
from sandbox_process import FHIR_JSON, FHIR_XML, free_port

from gpsynth.sandbox.fhirxml import resource_from_xml, resource_to_xml

HERE = Path(__file__).parent
ROOT = "/A20047/STU3/1/gpconnect"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("uvicorn") / "uvicorn.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "sandbox_app:build", "--app-dir", str(HERE),
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"uvicorn did not start:\n{log.read_text()}")
                time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=10) as http:
            yield http
    finally:
        server.terminate()
        server.wait(timeout=10)


def headers(interaction: str, scope: str = "organization/*.read", **extra) -> dict[str, str]:
    return {**gpc_headers(interaction, default_claims(int(time.time()), scope)), **extra}


def outcome_code(response: httpx.Response) -> str:
    assert response.headers["content-type"] == FHIR_JSON
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["meta"]["profile"] == ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]
    (coding,) = outcome["issue"][0]["details"]["coding"]
    assert coding["display"]
    return coding["code"]


def test_unknown_paths_are_404_operation_outcomes_with_no_store(client):
    for path in (ROOT + "/metadatas", ROOT + "/Metadata", "/favicon.ico"):
        response = client.get(path, headers=headers("read:metadata-1"))
        assert response.status_code == 404
        assert response.headers["cache-control"] == "no-store"
        assert outcome_code(response) == "NO_RECORD_FOUND"


def test_wrong_verb_is_405_with_allow(client):
    for method in ("PATCH", "DELETE", "OPTIONS"):
        response = client.request(method, ROOT + "/metadata", headers=headers("read:metadata-1"))
        assert response.status_code == 405
        assert response.headers["allow"] == "GET"
        assert response.headers["cache-control"] == "no-store"
        assert outcome_code(response) == "BAD_REQUEST"


def test_metadata_is_gzipped_json_with_no_store(client):
    response = client.get(ROOT + "/metadata", headers=headers("read:metadata-1", **{"Accept-Encoding": "gzip"}))
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"] == FHIR_JSON
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["resourceType"] == "CapabilityStatement"


def test_gzip_on_the_wire(client):
    gzip_headers = headers("read:metadata-1", **{"Accept-Encoding": "gzip"})
    with client.stream("GET", ROOT + "/metadata", headers=gzip_headers) as response:
        raw = b"".join(response.iter_raw())
    assert orjson.loads(gzip.decompress(raw))["fhirVersion"] == "3.0.1"


def test_errors_follow_the_negotiated_format(client):
    bad = headers("read:practitioner-1", **{"Accept": "application/fhir+xml"})
    response = client.get(ROOT + "/Organization/1", headers=bad)
    assert response.status_code == 400
    assert response.headers["content-type"] == FHIR_XML
    assert response.headers["cache-control"] == "no-store"
    outcome = resource_from_xml(response.content)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "BAD_REQUEST"
    assert "expected urn:nhs:names:services:gpconnect:fhir:rest:read:organization-1" in outcome["issue"][0]["diagnostics"]

    response = client.get(ROOT + "/Organization/1", params={"_format": "application/fhir+json"}, headers=bad)
    assert response.status_code == 400
    assert outcome_code(response) == "BAD_REQUEST"


def test_unimplemented_interaction_is_501(client):
    response = client.get(ROOT + "/Organization/1", headers=headers("read:organization-1"))
    assert response.status_code == 501
    assert outcome_code(response) == "NOT_IMPLEMENTED"


def test_jwt_and_ssp_failures(client):
    good = headers("read:metadata-1")
    assert client.get(ROOT + "/metadata", headers={**good, "Ssp-To": "1"}).status_code == 400
    assert client.get(ROOT + "/metadata", headers={k: v for k, v in good.items() if k != "Ssp-TraceID"}).status_code == 400
    claims = default_claims(int(time.time()))
    claims["requesting_device"]["invalidField"] = "Assurance Testing"
    response = client.get(ROOT + "/metadata", headers=gpc_headers("read:metadata-1", claims))
    assert response.status_code == 422
    assert response.headers["cache-control"] == "no-store"
    assert outcome_code(response) == "INVALID_RESOURCE"
    claims = default_claims(int(time.time()) - 600)
    assert client.get(ROOT + "/metadata", headers=gpc_headers("read:metadata-1", claims)).status_code == 400
    claims = default_claims(int(time.time()) + 200)
    assert client.get(ROOT + "/metadata", headers=gpc_headers("read:metadata-1", claims)).status_code == 200


def test_unsupported_accept_is_415_in_json(client):
    response = client.get(ROOT + "/metadata", headers=headers("read:metadata-1", Accept="text/html"))
    assert response.status_code == 415
    assert outcome_code(response) == "BAD_REQUEST"


def test_read_returns_etag_and_xml_when_asked(client):
    read = headers("read:patient-1", "patient/*.read")
    response = client.get(ROOT + "/Patient/2", params={"_format": "xml"}, headers=read)
    assert response.status_code == 200
    assert response.headers["etag"] == 'W/"1521806400000"'
    assert response.headers["content-type"] == FHIR_XML
    assert etree.fromstring(response.content).tag == "{http://hl7.org/fhir}Patient"
    unknown_id = "4543567638475665845564986758479086840564796854665748763454"
    missing = client.get(f"{ROOT}/Patient/{unknown_id}", headers=read)
    assert missing.status_code == 404
    assert outcome_code(missing) == "PATIENT_NOT_FOUND"


def test_book_with_xml_body_answers_in_json_and_honours_prefer(client):
    body = appointment()
    del body["id"], body["meta"]["versionId"]
    send = headers("create:appointment-1", "patient/*.write", **{"Content-Type": "application/fhir+xml"})
    response = client.post(ROOT + "/Appointment", content=resource_to_xml(body), headers=send)
    assert response.status_code == 201
    assert response.headers["content-type"] == FHIR_JSON
    assert response.headers["location"].endswith(ROOT + "/Appointment/148/_history/1")
    booked = response.json()
    assert booked["start"] == body["start"] and booked["contained"] == body["contained"]

    send = {**send, "Content-Type": "application/fhir+json", "Prefer": "return=minimal"}
    minimal = client.post(ROOT + "/Appointment", content=orjson.dumps(body), headers=send)
    assert minimal.status_code == 201
    assert minimal.content == b""
    assert minimal.headers["etag"] == 'W/"1"'
    assert minimal.headers["cache-control"] == "no-store"


def test_bad_bodies(client):
    send = headers("create:appointment-1", "patient/*.write")
    no_type = client.post(ROOT + "/Appointment", content=b"{}", headers=send)
    assert no_type.status_code == 415
    broken = client.post(ROOT + "/Appointment", content=b"{", headers={**send, "Content-Type": "application/fhir+json"})
    assert broken.status_code == 400
    assert outcome_code(broken) == "BAD_REQUEST"
