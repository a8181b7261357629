"""FHIR STU3 XML <-> JSON-shaped dict conversion, driven by the fhir.resources STU3 model metadata.

The models say, for every element of every type, its FHIR type, whether it repeats and where it sits in
the canonical element order; the FHIR XML rules do the rest: primitives are `<x value="…"/>` carrying
`id` and extensions, `id` on elements and `url` on extensions are attributes, resources inside
`contained`, `Bundle.entry.resource` or `Parameters.parameter.resource` are wrapped in an element named
after their type, and `Narrative.div` is embedded XHTML. Strings pass through untouched, so date-time
offsets such as `+00:00` survive a round trip.

Limits: decimals become Python numbers, so `1.50` comes back as `1.5`; XML comments are dropped; the
canonical element order is written but not enforced when reading.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from fhir.resources.STU3 import get_fhir_model_class
from fhir_core.utils import get_fhir_type_name, is_list_type, is_primitive_type
from lxml import etree

FHIR_NS = "http://hl7.org/fhir"
XHTML_NS = "http://www.w3.org/1999/xhtml"

_BOOLEAN = "boolean"
_INTEGERS = frozenset({"integer", "positiveInt", "unsignedInt"})
_DECIMAL = "decimal"
_TYPED_PRIMITIVES = _INTEGERS | {_BOOLEAN, _DECIMAL}
_INTEGER_PATTERN = re.compile(r"-?(0|[1-9][0-9]*)")
_DECIMAL_PATTERN = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_XHTML = "xhtml"
_RESOURCE = "Resource"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True)


class FhirXmlError(ValueError):
    """Content that cannot be expressed in (or read from) FHIR STU3 XML; the message names the element."""


class MalformedXml(FhirXmlError):
    """Bytes that are not a well-formed XML document."""


@dataclass(frozen=True)
class _Element:
    """One child element of a FHIR type, as the STU3 model describes it."""

    name: str
    fhir_type: str
    repeats: bool
    primitive: bool


@dataclass(frozen=True)
class _Type:
    """The child elements of a FHIR type in canonical order, and which of them are XML attributes."""

    name: str
    elements: Mapping[str, _Element]
    attributes: tuple[str, ...]
    is_resource: bool


@cache
def _type(name: str) -> _Type:
    try:
        model = get_fhir_model_class(name)
    except ValueError:
        raise FhirXmlError(f"{name} is not a FHIR STU3 type") from None
    aliases = model.get_alias_mapping()
    elements = {}
    for element_name in model.elements_sequence():
        field = model.model_fields[aliases[element_name]]
        elements[element_name] = _Element(
            element_name, get_fhir_type_name(field, "STU3."), is_list_type(field), is_primitive_type(field)
        )
    is_resource = model.has_resource_base()
    attributes = () if is_resource else ("id", "url") if name == "Extension" else ("id",)
    return _Type(name, elements, attributes, is_resource)


def _resource_type(name: str) -> _Type:
    spec = _type(name)
    if not spec.is_resource or name == _RESOURCE:
        raise FhirXmlError(f"{name} is not a FHIR STU3 resource type")
    return spec


# JSON -> XML


def resource_to_xml(resource: Mapping) -> bytes:
    """Serialise a JSON-shaped FHIR STU3 resource as a UTF-8 FHIR XML document."""
    root = _resource_element(resource, "")
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _resource_element(resource: Mapping, path: str) -> etree._Element:
    type_name = resource.get("resourceType")
    if not isinstance(type_name, str):
        raise FhirXmlError(f"{path or 'resource'}: resourceType is missing")
    spec = _resource_type(type_name)
    element = etree.Element(f"{{{FHIR_NS}}}{type_name}", nsmap={None: FHIR_NS})
    _write_children(element, spec, resource, path + type_name)
    return element


def _write_children(parent: etree._Element, spec: _Type, obj: Mapping, path: str) -> None:
    known = {"resourceType"} if spec.is_resource else set()
    for attribute in spec.attributes:
        if attribute in obj:
            parent.set(attribute, _text(obj[attribute]))
            known.add(attribute)
    for name, element in spec.elements.items():
        if name in spec.attributes:
            continue
        value, extra = obj.get(name), obj.get("_" + name) if element.primitive else None
        if value is None and extra is None:
            continue
        known.update((name, "_" + name) if element.primitive else (name,))
        where = f"{path}.{name}"
        if element.repeats:
            values = [None] * len(extra) if value is None and isinstance(extra, list) else value
            extras = [None] * len(values) if extra is None and isinstance(values, list) else extra
            if not isinstance(values, list) or not isinstance(extras, list) or len(values) != len(extras):
                raise FhirXmlError(f"{where}: a repeating element must be a JSON array")
            for item, item_extra in zip(values, extras, strict=True):
                _write_child(parent, element, item, item_extra, where)
        else:
            _write_child(parent, element, value, extra, where)
    unknown = sorted(set(obj) - known)
    if unknown:
        raise FhirXmlError(f"{path}: unknown element {unknown[0]!r} for {spec.name}")


def _write_child(parent: etree._Element, element: _Element, value: object, extra: object, path: str) -> None:
    if element.fhir_type == _XHTML:
        parent.append(_xhtml_element(value, path))
        return
    child = etree.SubElement(parent, f"{{{FHIR_NS}}}{element.name}")
    if element.fhir_type == _RESOURCE:
        if not isinstance(value, Mapping):
            raise FhirXmlError(f"{path}: a resource must be a JSON object")
        child.append(_resource_element(value, path + "."))
    elif element.primitive:
        if extra is not None:
            if not isinstance(extra, Mapping):
                raise FhirXmlError(f"{path}: the _{element.name} of a primitive must be a JSON object")
            _write_children(child, _type("FHIRPrimitiveExtension"), extra, path)
        if value is not None:
            child.set("value", _text(value))
    else:
        if not isinstance(value, Mapping):
            raise FhirXmlError(f"{path}: a {element.fhir_type} must be a JSON object")
        _write_children(child, _type(element.fhir_type), value, path)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise FhirXmlError(f"{value!r} is not a FHIR primitive value")


def _xhtml_element(value: object, path: str) -> etree._Element:
    try:
        div = etree.fromstring(value.encode() if isinstance(value, str) else b"", _PARSER)
    except etree.XMLSyntaxError as exc:
        raise FhirXmlError(f"{path}: not well-formed XHTML ({exc})") from None
    if div.tag != f"{{{XHTML_NS}}}div":
        raise FhirXmlError(f"{path}: must be an XHTML div element")
    return div


# XML -> JSON


def resource_from_xml(data: bytes) -> dict:
    """Parse a FHIR STU3 XML document into the JSON-shaped dict of its resource."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MalformedXml(f"not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise MalformedXml("a DOCTYPE is not allowed in FHIR XML")
    return _read_resource(root, "")


def _local_name(element: etree._Element, path: str) -> str:
    qname = etree.QName(element)
    if qname.namespace != FHIR_NS:
        raise FhirXmlError(f"{path}{qname.localname}: element is not in the FHIR namespace {FHIR_NS}")
    return qname.localname


def _read_resource(element: etree._Element, path: str) -> dict:
    type_name = _local_name(element, path)
    spec = _resource_type(type_name)
    return {"resourceType": type_name, **_read_children(element, spec, path + type_name)}


def _read_children(element: etree._Element, spec: _Type, path: str, value_attribute: bool = False) -> dict:
    out: dict = {}
    for attribute, value in element.attrib.items():
        if value_attribute and attribute == "value":
            continue
        if attribute not in spec.attributes:
            raise FhirXmlError(f"{path}: unexpected attribute {attribute!r}")
        out[attribute] = value
    if element.text and element.text.strip():
        raise FhirXmlError(f"{path}: unexpected text content {element.text.strip()!r}")
    collected: dict[str, list[tuple[object, object]]] = {}
    for child in element:
        if child.tail and child.tail.strip():
            raise FhirXmlError(f"{path}: unexpected text content {child.tail.strip()!r}")
        if etree.QName(child).namespace == XHTML_NS and "div" in spec.elements:
            collected.setdefault("div", []).append((_xhtml_text(child), None))
            continue
        name = _local_name(child, path + ".")
        element_spec = spec.elements.get(name)
        if element_spec is None or name in spec.attributes:
            raise FhirXmlError(f"{path}: unknown element {name!r} for {spec.name}")
        collected.setdefault(name, []).append(_read_child(child, element_spec, f"{path}.{name}"))
    for name, element_spec in spec.elements.items():
        items = collected.get(name)
        if not items:
            continue
        if not element_spec.repeats and len(items) > 1:
            raise FhirXmlError(f"{path}.{name}: element does not repeat")
        values = [value for value, _ in items]
        extras = [extra for _, extra in items]
        if any(value is not None for value in values):
            out[name] = values if element_spec.repeats else values[0]
        if any(extra is not None for extra in extras):
            out["_" + name] = extras if element_spec.repeats else extras[0]
    return out


def _read_child(child: etree._Element, element: _Element, path: str) -> tuple[object, object]:
    if element.fhir_type == _RESOURCE:
        inner = list(child)
        if len(inner) != 1 or child.attrib:
            raise FhirXmlError(f"{path}: must hold exactly one resource element")
        return _read_resource(inner[0], path + "."), None
    if not element.primitive:
        return _read_children(child, _type(element.fhir_type), path), None
    raw = child.attrib.get("value")
    extra = _read_children(child, _type("FHIRPrimitiveExtension"), path, value_attribute=True) or None
    if raw is None and extra is None:
        raise FhirXmlError(f"{path}: a primitive element needs a value attribute or extensions")
    return (None if raw is None else _primitive(raw, element.fhir_type, path)), extra


# FHIR integers are 32-bit and decimals carry at most 18 significant digits; far longer digit strings are
# refused before Python is asked to convert them.
MAX_NUMBER_DIGITS = 40


def _primitive(raw: str, fhir_type: str, path: str) -> bool | int | float | str:
    if fhir_type == _BOOLEAN and raw in ("true", "false"):
        return raw == "true"
    if fhir_type in _INTEGERS and _INTEGER_PATTERN.fullmatch(raw) and len(raw) <= MAX_NUMBER_DIGITS:
        return int(raw)
    if fhir_type == _DECIMAL and _DECIMAL_PATTERN.fullmatch(raw) and len(raw) <= MAX_NUMBER_DIGITS:
        return int(raw) if _INTEGER_PATTERN.fullmatch(raw) else float(raw)
    if fhir_type in _TYPED_PRIMITIVES:
        raise FhirXmlError(f"{path}: {raw!r} is not a valid {fhir_type}")
    return raw


def _xhtml_text(div: etree._Element) -> str:
    detached = copy.deepcopy(div)
    detached.tail = None
    etree.cleanup_namespaces(detached)
    return etree.tostring(detached, encoding="unicode")
