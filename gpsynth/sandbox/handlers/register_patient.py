"""Register a patient ($gpc.registerpatient): a temporary registration at the practice, answered with a searchset.

The sandbox has no Spine: the store stands in for PDS. An NHS number the store does not hold is a
patient PDS knows by the demographics sent; one it holds must match them the way 1.2.7 verifies a
PDS record (the birth date, or two of its three parts with the first three letters of the family name
and the first initial), and must not be deceased or sensitive. A patient already registered at the
practice is a duplicate (409); one whose registration there ended is registered again, temporarily.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from ...fhir import constants as c
from ...fhir.common import coding, english_communication
from ...identifiers import is_valid_nhs_number
from ...store.columns import derive_columns
from ...store.live_rows import LiveRow, new_row
from ..bundles import searchset
from ..context import GpcRequest, GpcResponse
from ..directory import Practice
from ...fhir.model_check import model_problem
from ..shapes import objects, one_object
from ..errors import (BAD_REQUEST, DUPLICATE_REJECTED, INVALID_NHS_NUMBER, INVALID_PATIENT_DEMOGRAPHICS,
                      INVALID_RESOURCE)
from ..provider import Provider
from ..times import london_instant, london_today

PARAMETER = "registerPatient"
TEMPORARY = "T"
ALLOWED = ("resourceType", "meta", "identifier", "name", "birthDate", "gender", "address", "telecom", "extension")
ACTIVE_STATES = ("normal", "no-appointments", "sensitive")


def sent_patient(body: Mapping) -> dict:
    """The Patient of the registerPatient parameter, after the checks GP Connect and the assurance suite make."""
    if body.get("resourceType") != "Parameters":
        raise INVALID_RESOURCE(f"The body is a {body.get('resourceType')}; send a Parameters resource with one "
                               f"{PARAMETER} parameter")
    parameters = objects(body.get("parameter"), "Parameters.parameter")
    named = [p for p in parameters if p.get("name") == PARAMETER]
    if len(named) > 1:
        raise BAD_REQUEST(f"The {PARAMETER} parameter is sent {len(named)} times; send it once")
    if len(parameters) != 1 or not named:
        names = ", ".join(str(p.get("name")) for p in parameters) or "none"
        raise INVALID_RESOURCE(f"Parameters must hold exactly one parameter, {PARAMETER}; it holds {names}")
    patient = one_object(named[0].get("resource"), f"The {PARAMETER} parameter's resource")
    if patient.get("resourceType") != "Patient":
        raise INVALID_RESOURCE(f"The {PARAMETER} parameter must hold a Patient resource")
    problem = model_problem("Patient", patient)
    if problem:
        raise INVALID_RESOURCE(f"The Patient is not valid FHIR STU3: {problem}")
    identifiers = objects(patient.get("identifier"), "Patient.identifier")
    unnamed = [n for n, i in enumerate(identifiers) if not isinstance(i.get("system"), str) or not i["system"].strip()]
    if unnamed:
        raise INVALID_RESOURCE(f"Patient.identifier[{unnamed[0]}] has no system; every identifier of a registration "
                               "names its system (CareConnect-GPC-Patient-1)")
    nhs_numbers = [i.get("value") for i in identifiers if i.get("system") == c.NHS_NUMBER]
    if len(nhs_numbers) != 1:
        raise INVALID_NHS_NUMBER(f"The Patient needs one identifier with system {c.NHS_NUMBER}")
    if not is_valid_nhs_number(nhs_numbers[0] or ""):
        raise INVALID_NHS_NUMBER(f"{nhs_numbers[0]} is not a valid NHS number (10 digits passing the modulus-11 check)")
    official = [n for n in patient.get("name") or () if n.get("use") == "official"]
    if len(official) != 1 or not official[0].get("family") or not official[0].get("given"):
        raise BAD_REQUEST("The Patient needs one name with use official, a family name and a given name")
    if not patient.get("birthDate"):
        raise BAD_REQUEST("The Patient needs a birthDate")
    extra = [name for name in patient if name not in ALLOWED]
    if extra:
        raise INVALID_RESOURCE(f"Patient.{extra[0]} cannot be sent when registering; allowed: {', '.join(ALLOWED[2:])}")
    if [e.get("url") for e in patient.get("extension") or ()] not in ([], [c.EXT_NHS_COMMUNICATION]):
        raise INVALID_RESOURCE(f"The only extension a registration may carry is one {c.EXT_NHS_COMMUNICATION}")
    addresses = [a.get("use") for a in patient.get("address") or ()]
    if addresses.count("home") > 1 or addresses.count("temp") > 1 or set(addresses) - {"home", "temp"}:
        raise INVALID_RESOURCE("A registration may carry one home address and one temp address")
    phones = [t.get("use") for t in patient.get("telecom") or () if t.get("system") == "phone"]
    emails = [t for t in patient.get("telecom") or () if t.get("system") == "email"]
    if len(phones) != len(set(phones)) or len(emails) > 1:
        raise INVALID_RESOURCE("A registration may carry one phone number per use and one email address")
    return patient


def demographics_match(sent: Mapping, family: str | None, given: str | None, birth_day: str | None) -> bool:
    """The 1.2.7 PDS verification rule, with the store's record (its birth date as ISO 8601 text) in the place of PDS."""
    name = next(n for n in sent["name"] if n.get("use") == "official")
    try:
        born = date.fromisoformat(sent["birthDate"])
        birth_date = date.fromisoformat(birth_day or "")
    except ValueError:
        return False
    if born == birth_date:
        return True
    parts = sum((born.year == birth_date.year, born.month == birth_date.month, born.day == birth_date.day))
    sent_given = (name.get("given") or [""])[0]
    return (parts >= 2 and name["family"][:3].lower() == (family or "")[:3].lower()
            and sent_given[:1].lower() == (given or "")[:1].lower())


def temporary_registration(practice: Practice, today: date) -> dict:
    registration_type = coding(c.CS_REGISTRATION_TYPE, TEMPORARY, c.REGISTRATION_TYPES[TEMPORARY])
    return {"url": c.EXT_REGISTRATION_DETAILS, "extension": [
        {"url": "registrationPeriod", "valuePeriod": {"start": today.isoformat()}},
        {"url": "registrationType", "valueCodeableConcept": {"coding": [registration_type]}},
        {"url": "preferredBranchSurgery", "valueReference": {"reference": f"Location/{practice.main_location_id}"}},
    ]}


def registered_patient(patient_id: str, sent: Mapping, practice: Practice, today: date) -> dict:
    """The Patient as the practice now holds it: what was sent, with a temporary registration."""
    nhs_number = next(i["value"] for i in sent["identifier"] if i.get("system") == c.NHS_NUMBER)
    verification = coding(c.CS_NHS_NUMBER_VERIFICATION, "01", c.NHS_NUMBER_VERIFICATION["01"])
    communication = [e for e in sent.get("extension") or () if e.get("url") == c.EXT_NHS_COMMUNICATION]
    resource = {
        "resourceType": "Patient",
        "id": patient_id,
        "meta": {"profile": [c.PROFILE["Patient"]]},
        "extension": [temporary_registration(practice, today), *(communication or [english_communication()])],
        "identifier": [{"extension": [{"url": c.EXT_NHS_NUMBER_VERIFICATION,
                                       "valueCodeableConcept": {"coding": [verification]}}],
                        "system": c.NHS_NUMBER, "value": nhs_number}],
        "active": True,
        "name": sent["name"],
    }
    for name in ("telecom", "gender", "birthDate", "address"):
        if sent.get(name):
            resource[name] = sent[name]
    resource["managingOrganization"] = {"reference": f"Organization/{practice.organization_id}"}
    return resource


async def register_patient(request: GpcRequest, provider: Provider) -> GpcResponse:
    practice = provider.practice(request)
    sent = sent_patient(request.sent_resource)
    nhs_number = next(i["value"] for i in sent["identifier"] if i.get("system") == c.NHS_NUMBER)
    today = london_today(request.now)
    last_updated = london_instant(request.now)

    book = provider.book

    async def prepare() -> list[LiveRow]:
        return await book.stored("Patient", "nhs_number", nhs_number)

    def decide(stored: list[LiveRow]) -> tuple[list[LiveRow], LiveRow]:
        known = [row for row in book.current("Patient", stored, book.by_nhs_number.get(nhs_number, ()))
                 if row.columns.get("nhs_number") == nhs_number]
        for row in known:
            state = row.columns.get("state")
            if state in ("deceased", "sensitive"):
                raise INVALID_PATIENT_DEMOGRAPHICS(f"PDS holds NHS number {nhs_number} as {state}; such patients "
                                                   "cannot be registered through GP Connect")
        if known and not demographics_match(sent, known[0].columns.get("family"), known[0].columns.get("given"),
                                            known[0].columns.get("birth_date")):
            raise INVALID_PATIENT_DEMOGRAPHICS(f"The demographics sent do not match PDS for NHS number {nhs_number}: "
                                               "check the birth date and the names")
        here = [row for row in known if practice.holds(row)]
        if here and here[0].columns.get("state") in ACTIVE_STATES:
            raise DUPLICATE_REJECTED(f"NHS number {nhs_number} is already registered at {practice.ods_code} "
                                     f"as Patient/{here[0].id}")
        if here:
            resource = registered_patient(here[0].id, sent, practice, today)
            row = here[0].changed(resource, last_updated, **derive_columns("Patient", resource))
        else:
            resource = registered_patient(provider.new_id("Patient", f"{practice.ods_code}-P"), sent, practice, today)
            row = new_row("Patient", resource, last_updated, practice.shard, derive_columns("Patient", resource))
        return [row], row

    registered = await book.change(prepare, decide)
    return GpcResponse(searchset([registered.resource], request.response_format, request.now,
                                 request.service_root, "Patient", profiled=True))
