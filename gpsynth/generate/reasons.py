"""Appointment reasons that fit the clinician's role, the delivery channel and the patient."""

from __future__ import annotations

from functools import lru_cache

GP = frozenset({"R0260", "R0270", "R6200", "R6300"})
NURSE = frozenset({"R0620", "R0680"})
NURSE_PRACTITIONER = frozenset({"R0600"})
HCA = frozenset({"R1480", "R1590"})
PHARMACIST = frozenset({"R1290"})
REMOTE = frozenset({"Telephone", "Video"})

# (description, roles, can be remote, sex or None, lowest age, highest age)
REASONS = (
    ("New problem", GP | NURSE_PRACTITIONER, True, None, 0, 110),
    ("Follow-up appointment", GP | NURSE_PRACTITIONER, True, None, 0, 110),
    ("Test results discussion", GP, True, None, 16, 110),
    ("Medication review", GP | PHARMACIST, True, None, 16, 110),
    ("Fit note review", GP, True, None, 16, 70),
    ("Minor illness", NURSE_PRACTITIONER, True, None, 0, 110),
    ("Childhood illness review", GP, True, None, 0, 15),
    ("Blood pressure check", NURSE | HCA, False, None, 18, 110),
    ("Annual asthma review", NURSE, True, None, 5, 110),
    ("Diabetes review", NURSE, True, None, 12, 110),
    ("Wound dressing", NURSE | HCA, False, None, 0, 110),
    ("Vaccination", NURSE | HCA, False, None, 0, 110),
    ("Childhood immunisations", NURSE, False, None, 0, 5),
    ("Cervical screening", NURSE, False, "female", 25, 64),
    ("Contraception review", NURSE | GP, True, "female", 15, 54),
    ("Travel advice", NURSE, True, None, 0, 110),
    ("Blood test", HCA | NURSE, False, None, 1, 110),
    ("NHS Health Check", HCA | NURSE, False, None, 40, 74),
    ("Medicines query", PHARMACIST, True, None, 0, 110),
)
FALLBACK = "Follow-up appointment"


@lru_cache(maxsize=4096)
def reasons_for(role_code: str, channel: str, gender: str, age: int) -> tuple[str, ...]:
    remote = channel in REMOTE
    return tuple(text for text, roles, can_be_remote, sex, low, high in REASONS
                 if role_code in roles and (can_be_remote or not remote) and sex in (None, gender) and low <= age <= high)


def reason_for(draw: float, role_code: str, channel: str, gender: str, age: int) -> str:
    choices = reasons_for(role_code, channel, gender, min(age, 110))
    return choices[int(draw * len(choices))] if choices else FALLBACK
