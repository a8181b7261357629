"""A tiny sandbox provider for the HTTP test: the real GP Connect layers around three canned handlers."""

from gpc_requests import PROVIDER_ASID
from gpc_resources import capability_statement, patient

from gpsynth.sandbox.context import GpcRequest, GpcResponse
from gpsynth.sandbox.errors import PATIENT_NOT_FOUND
from gpsynth.sandbox.middleware import build_app
from gpsynth.sandbox.representation import etag


async def get_capability_statement(request: GpcRequest) -> GpcResponse:
    return GpcResponse(capability_statement())


async def read_patient(request: GpcRequest) -> GpcResponse:
    resource = patient()
    if request.path_params["id"] != resource["id"]:
        raise PATIENT_NOT_FOUND(f"No patient has the logical id {request.path_params['id']}")
    return GpcResponse(resource, headers={"ETag": etag(resource)})


async def book_appointment(request: GpcRequest) -> GpcResponse:
    booked = {**request.body, "id": "148", "meta": {**request.body["meta"], "versionId": "1"}}
    location = f"{request.service_root}/Appointment/148/_history/1"
    return GpcResponse(booked, status=201, headers={"ETag": etag(booked), "Location": location})


def build():
    handlers = {
        "get_capability_statement": get_capability_statement,
        "read_patient": read_patient,
        "book_appointment": book_appointment,
    }
    return build_app(handlers, PROVIDER_ASID)
