"""Every URL, system and code gpsynth writes into FHIR, in one place (GP Connect 1.2.7 assets)."""

import re

SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
CS = "https://fhir.nhs.uk/STU3/CodeSystem/"

PROFILE = {
    "Organization": SD + "CareConnect-GPC-Organization-1",
    "Location": SD + "CareConnect-GPC-Location-1",
    "Practitioner": SD + "CareConnect-GPC-Practitioner-1",
    "Patient": SD + "CareConnect-GPC-Patient-1",
    "Schedule": SD + "GPConnect-Schedule-1",
    "Slot": SD + "GPConnect-Slot-1",
    "Appointment": SD + "GPConnect-Appointment-1",
    "OperationOutcome": SD + "GPConnect-OperationOutcome-1",
    "Bundle": SD + "GPConnect-Searchset-Bundle-1",
}

# A FHIR id or versionId (STU3 datatype `id`)
RESOURCE_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# The longest Appointment.description and Appointment.comment GP Connect 1.2.7 accepts, in characters
TEXT_LIMITS = {"description": 100, "comment": 500}

# Resource types in dependency order: anything referenced comes before what references it.
RESOURCE_TYPES = ("Organization", "Location", "Practitioner", "Schedule", "Slot", "Patient", "Appointment")

# Identifier systems
ODS_ORGANIZATION = "https://fhir.nhs.uk/Id/ods-organization-code"
ODS_SITE = "https://fhir.nhs.uk/Id/ods-site-code"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
SDS_USER_ID = "https://fhir.nhs.uk/Id/sds-user-id"
SDS_ROLE_PROFILE_ID = "https://fhir.nhs.uk/Id/sds-role-profile-id"
APPOINTMENT_IDENTIFIER = "https://fhir.nhs.uk/Id/gpconnect-appointment-identifier"
SCHEDULE_IDENTIFIER = "https://fhir.nhs.uk/Id/gpconnect-schedule-identifier"

# Extensions
EXT_BOOKING_ORGANISATION = SD + "Extension-GPConnect-BookingOrganisation-1"
EXT_CANCELLATION_REASON = SD + "Extension-GPConnect-AppointmentCancellationReason-1"
EXT_PRACTITIONER_ROLE = SD + "Extension-GPConnect-PractitionerRole-1"
EXT_DELIVERY_CHANNEL = SD + "Extension-GPConnect-DeliveryChannel-2"
EXT_NHS_NUMBER_VERIFICATION = SD + "Extension-CareConnect-GPC-NHSNumberVerificationStatus-1"
EXT_REGISTRATION_DETAILS = SD + "Extension-CareConnect-GPC-RegistrationDetails-1"
EXT_NHS_COMMUNICATION = SD + "Extension-CareConnect-GPC-NHSCommunication-1"

# Code systems
CS_ORGANISATION_TYPE = CS + "GPConnect-OrganisationType-1"
CS_SDS_JOB_ROLE = CS + "CareConnect-SDSJobRoleName-1"
CS_NHS_NUMBER_VERIFICATION = CS + "CareConnect-NHSNumberVerificationStatus-1"
CS_REGISTRATION_TYPE = CS + "CareConnect-RegistrationType-1"
CS_HUMAN_LANGUAGE = CS + "CareConnect-HumanLanguage-1"

ORGANISATION_TYPES = {"gp-practice": "GP Practice", "urgent-care": "Urgent Care"}
DELIVERY_CHANNELS = ("In-person", "Telephone", "Video")

# ValueSet GPConnect-PractitionerRole-1: the SDS job roles a schedule or appointment may carry.
PRACTITIONER_ROLES = {
    "R0260": "General Medical Practitioner",
    "R0270": "Salaried General Practitioner",
    "R0410": "Student Practice Nurse",
    "R0600": "Specialist Nurse Practitioner",
    "R0610": "Sister/Charge Nurse",
    "R0620": "Staff Nurse",
    "R0680": "Midwife",
    "R0690": "Community Practitioner",
    "R0700": "Community Nurse",
    "R0790": "Dietitian",
    "R1290": "Pharmacist",
    "R1300": "Psychotherapist",
    "R1310": "Clinical Psychologist",
    "R1330": "Social Worker",
    "R1450": "Health Care Support Worker",
    "R1480": "Healthcare Assistant",
    "R1550": "Counsellor",
    "R1590": "Phlebotomist",
    "R6200": "GP Registrar",
    "R6300": "Sessional GP",
}

NHS_NUMBER_VERIFICATION = {
    "01": "Number present and verified",
    "02": "Number present but not traced",
    "03": "Trace required",
    "04": "Trace attempted - No match or multiple match found",
    "05": "Trace needs to be resolved - (NHS number or patient detail conflict)",
    "06": "Trace in progress",
    "07": "Number not present and trace not required",
    "08": "Trace postponed (baby under six weeks old)",
}

REGISTRATION_TYPES = {
    "R": "Regular",
    "E": "Emergency",
    "IN": "Immediately necessary",
    "T": "Temporary",
    "P": "Private",
    "O": "Other",
    "S": "Synthetic Record",
}

EXT_MAIN_LOCATION = SD + "Extension-CareConnect-GPC-MainLocation-1"
CONFIDENTIALITY = "http://hl7.org/fhir/v3/Confidentiality"
