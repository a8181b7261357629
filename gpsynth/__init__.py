"""gpsynth: linked, realistic, current GP Connect Appointment Management 1.2.7 (FHIR STU3) data."""

__version__ = "0.1.0"
