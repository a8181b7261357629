"""FHIR STU3 → R4 for the seven GP Connect types, counting every change it makes.

GP Connect 1.2.7 is STU3; many test servers are R4. The differences that touch these resources:
- elements that became lists: Location.type, Schedule/Slot/Appointment.serviceCategory;
- Appointment elements renamed in R4: reason → reasonCode, indication → reasonReference,
  incomingReferral → basedOn (ReferralRequest became ServiceRequest);
- Appointment's GP Connect cancellation-reason extension → R4's own Appointment.cancelationReason;
- Patient.animal is gone from R4;
- meta.profile: the GP Connect profiles are STU3 StructureDefinitions, so an R4 resource cannot claim
  them; they are dropped unless kept on purpose (for servers that only record them).
Extensions keep their GP Connect URLs: an extension is valid in R4 whatever its URL.
"""

from __future__ import annotations

from collections import Counter

from ..fhir.constants import EXT_CANCELLATION_REASON

STU3_PROFILES = "https://fhir.nhs.uk/STU3/"
LISTS = {"Location": ("type",), "Schedule": ("serviceCategory",), "Slot": ("serviceCategory",),
         "Appointment": ("serviceCategory",)}
RENAMES = {"Appointment": {"reason": "reasonCode", "indication": "reasonReference", "incomingReferral": "basedOn"}}
REMOVED = {"Patient": ("animal",)}
REFERENCE_RENAMES = {"ReferralRequest/": "ServiceRequest/"}


def to_r4(resource: dict, changes: Counter, keep_profiles: bool = False, path: str = "") -> dict:
    """Convert `resource` (changed in place and returned); add one count per change to `changes`."""
    resource_type = resource["resourceType"]
    where = path or resource_type
    for element in LISTS.get(resource_type, ()):
        if isinstance(resource.get(element), dict):
            resource[element] = [resource[element]]
            changes[f"{where}.{element}: one CodeableConcept → a list"] += 1
    for old, new in RENAMES.get(resource_type, {}).items():
        if old in resource:
            resource[new] = [_renamed_reference(v) for v in _listed(resource.pop(old))]
            changes[f"{where}.{old} → {new}"] += 1
    for element in REMOVED.get(resource_type, ()):
        if resource.pop(element, None) is not None:
            changes[f"{where}.{element}: not in R4, dropped"] += 1
    if resource_type == "Appointment":
        _cancellation_reason(resource, changes, where)
    if not keep_profiles:
        _drop_stu3_profiles(resource, changes, where)
    for contained in resource.get("contained", ()):
        to_r4(contained, changes, keep_profiles, f"{where}.contained({contained['resourceType']})")
    return resource


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _renamed_reference(value: object) -> object:
    if not isinstance(value, dict):
        return value
    reference = value.get("reference", "")
    for old, new in REFERENCE_RENAMES.items():
        if reference.startswith(old):
            return {**value, "reference": new + reference[len(old):]}
    return value


def _cancellation_reason(appointment: dict, changes: Counter, where: str) -> None:
    extensions = appointment.get("extension", [])
    reasons = [e for e in extensions if e.get("url") == EXT_CANCELLATION_REASON]
    if not reasons:
        return
    appointment["extension"] = [e for e in extensions if e.get("url") != EXT_CANCELLATION_REASON]
    if not appointment["extension"]:
        del appointment["extension"]
    appointment["cancelationReason"] = {"text": reasons[0]["valueString"]}
    changes[f"{where}.extension(AppointmentCancellationReason-1) → {where}.cancelationReason.text"] += 1


def _drop_stu3_profiles(resource: dict, changes: Counter, where: str) -> None:
    meta = resource.get("meta")
    if not meta or "profile" not in meta:
        return
    kept = [p for p in meta["profile"] if not p.startswith(STU3_PROFILES)]
    if len(kept) == len(meta["profile"]):
        return
    if kept:
        meta["profile"] = kept
    else:
        del meta["profile"]
        if not meta:
            del resource["meta"]
    changes[f"{where}.meta.profile: STU3 GP Connect profile dropped"] += 1
