"""The interaction handlers, one module per GP Connect interaction, by interaction name."""

from __future__ import annotations

from functools import partial

from ..context import Handler
from ..provider import Provider
from .amend_appointment import amend_appointment
from .book_appointment import book_appointment
from .cancel_appointment import cancel_appointment
from .find_organisation import find_organisation
from .find_patient import find_patient
from .find_practitioner import find_practitioner
from .metadata import get_capability_statement
from .read_appointment import read_appointment
from .read_location import read_location
from .read_organisation import read_organisation
from .read_patient import read_patient
from .read_practitioner import read_practitioner
from .register_patient import register_patient
from .retrieve_appointments import retrieve_appointments
from .search_free_slots import search_free_slots

HANDLERS = {handler.__name__: handler for handler in (
    get_capability_statement, find_patient, read_patient, register_patient, find_practitioner, read_practitioner,
    find_organisation, read_organisation, read_location, search_free_slots, retrieve_appointments, read_appointment,
    book_appointment, amend_appointment, cancel_appointment,
)}


def bound_handlers(provider: Provider) -> dict[str, Handler]:
    """Every interaction's handler, working on `provider`."""
    return {name: partial(handler, provider=provider) for name, handler in HANDLERS.items()}
