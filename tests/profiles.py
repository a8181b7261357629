"""Check FHIR STU3 resources (JSON dicts) against the official GP Connect 1.2.7 profiles.

The profiles are the StructureDefinitions (XML, with snapshots) in ``<shared>/gpconnect-fhir-1.2.7``, where
``<shared>`` is ``$GPSYNTH_SHARED`` or else the ``shared`` folder next to the repository. Tests that need
them use ``requires_shared``: they are skipped when the folder is absent, except under ``CI=true``, where
importing this module fails instead.

``checker()`` gives a ``ProfileChecker`` for that folder, loaded once. ``ProfileChecker.check(resource)``
picks the profile named by ``meta.profile[0]`` and walks its snapshot, returning readable problems (an
empty list means the resource conforms to what is checked):

- every element the snapshot defines, at every depth it defines (backbone elements and datatypes as far as
  the snapshot expands them): min/max cardinality, ``max = 0`` elements absent, JSON arrays exactly where
  the base element repeats, objects for complex types, no empty or null values, and no properties the
  snapshot does not define (so ``Patient.deceasedBoolean`` is reported: the profile only has
  ``deceasedDateTime``); choice elements ``[x]`` may hold one of their types only;
- ``fixed*`` values (for example an identifier slice's ``system`` or ``name:official.use``);
- slicing by value (``url``, ``system``, ``use``, ``coding.system``): each slice's cardinality, closed
  slicing, and each repetition against the slice it matches (so ``nhsNumber`` needs its verification
  status extension);
- extensions against the definitions of the extension StructureDefinitions (``url``, the value type and
  its binding, the sub-extensions of complex extensions such as RegistrationDetails, where
  ``registrationStatus`` is ``0..0``);
- bindings whose ValueSet can be expanded from the local ValueSets/CodeSystems: a ``required`` binding
  needs a coding from the ValueSet; a ``code`` element (no system to extend with) must be in the ValueSet
  for ``required`` and ``extensible`` bindings alike, so Extension-GPConnect-DeliveryChannel-2 takes
  ``In-person``, ``Telephone`` or ``Video`` only; a coding of an element bound to a local ValueSet that
  names a local CodeSystem must use one of its codes, and a ValueSet URL used as a coding system is reported;
- references: ``Type/id`` (relative or absolute) and ``#id`` (contained) must point to a resource type
  the element's target profiles allow, and ``#id`` must name a contained resource;
- resources inside resources (``contained``, ``Bundle.entry.resource``) against their own
  ``meta.profile``.

Two rules are stricter than FHIR, on purpose, to catch generator slips: where a profile slices an
extension list, every extension must match one of its slices (elsewhere an extension URL must start with
``https://fhir.nhs.uk/``, and a locally defined extension is checked against its definition and context);
and where a profile slices identifiers by system, an NHS identifier system (``https://fhir.nhs.uk/Id/``
or the DSTU2-era ``http://fhir.nhs.net/Id/``) must be one of the sliced systems.

Not checked: invariants (FHIRPath constraints such as app-3), primitive formats (dates, instants, ids),
bindings to HL7 core or SNOMED CT value sets (not held locally), displays, slice order (``openAtEnd``),
the inside of datatypes the snapshot does not expand (``meta``, ``serviceType``, ...), primitive
extensions (``_birthDate``), whether referenced resources exist or conform, and mustSupport.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

SHARED = (
    Path(os.environ["GPSYNTH_SHARED"])
    if os.environ.get("GPSYNTH_SHARED")
    else Path(__file__).resolve().parents[2] / "shared"
)
GPC_DEFINITIONS = SHARED / "gpconnect-fhir-1.2.7"

_ABSENT = (
    "the official GP Connect 1.2.7 StructureDefinitions folder ../shared/gpconnect-fhir-1.2.7 is absent "
    f"(looked for {GPC_DEFINITIONS}; set GPSYNTH_SHARED to the folder that holds it)"
)
if os.environ.get("CI") == "true" and not GPC_DEFINITIONS.is_dir():
    raise RuntimeError(_ABSENT)
requires_shared = pytest.mark.skipif(not GPC_DEFINITIONS.is_dir(), reason=_ABSENT)

_FHIR = "{http://hl7.org/fhir}"
_NHS_EXTENSIONS = "https://fhir.nhs.uk/"
_NHS_ID_NAMESPACES = ("https://fhir.nhs.uk/Id/", "http://fhir.nhs.net/Id/")


def _value(parent, name: str) -> str | None:
    child = parent.find(_FHIR + name)
    return None if child is None else child.get("value")


@dataclass
class _Element:
    """One snapshot element, with its children and slices."""

    path: str
    keys: dict[str, str | None]  # JSON property name -> FHIR type code
    min: int
    max: float
    repeats: bool  # the base element repeats, so JSON holds an array
    profiles: list[str]  # extension profiles and reference target profiles
    fixed: str | None
    binding: tuple[str, str] | None  # (strength, ValueSet URL)
    discriminators: list[str]
    closed: bool
    content_reference: str | None
    children: dict[str, _Element] = field(default_factory=dict)
    slices: dict[str, _Element] = field(default_factory=dict)
    match: dict[str, str] = field(default_factory=dict)  # discriminator path -> value, for a slice

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def _parse_element(el) -> _Element:
    path = _value(el, "path")
    types = el.findall(_FHIR + "type")
    codes = [_value(t, "code") for t in types]
    last = path.rsplit(".", 1)[-1]
    if last.endswith("[x]"):
        keys = {last[:-3] + code[0].upper() + code[1:]: code for code in codes}
    else:
        keys = {last: codes[0] if codes else None}
    fixed = None
    for child in el:
        tag = etree.QName(child).localname
        if tag.startswith(("fixed", "pattern")):
            if tag.startswith("pattern") or child.get("value") is None:
                raise NotImplementedError(f"{path}: {tag} is not supported")
            fixed = child.get("value")
    binding = el.find(_FHIR + "binding")
    valueset = None if binding is None else binding.find(f"{_FHIR}valueSetReference/{_FHIR}reference")
    slicing = el.find(_FHIR + "slicing")
    discriminators = []
    if slicing is not None:
        for d in slicing.iterfind(_FHIR + "discriminator"):
            if _value(d, "type") != "value":
                raise NotImplementedError(f"{path}: {_value(d, 'type')} discriminators are not supported")
            discriminators.append(_value(d, "path"))
    maximum = _value(el, "max")
    return _Element(
        path=path,
        keys=keys,
        min=int(_value(el, "min")),
        max=math.inf if maximum == "*" else int(maximum),
        repeats=_value(el.find(_FHIR + "base"), "max") != "1",
        profiles=[p.get("value") for t in types for p in t if etree.QName(p).localname in ("profile", "targetProfile")],
        fixed=fixed,
        binding=None if valueset is None else (_value(binding, "strength"), valueset.get("value")),
        discriminators=discriminators,
        closed=slicing is not None and _value(slicing, "rules") == "closed",
        content_reference=_value(el, "contentReference"),
    )


def _slice_value(slice_: _Element, path: str) -> str:
    node = slice_
    for segment in path.split("."):
        node = node.children.get(segment)
        if node is None:
            break
    if node is not None and node.fixed is not None:
        return node.fixed
    if path == "url" and slice_.profiles:
        return slice_.profiles[0]
    raise NotImplementedError(f"{slice_.path}: no fixed value for discriminator {path}")


def _parse_snapshot(root) -> _Element:
    """Build the element tree of a StructureDefinition snapshot from its element ids."""
    by_id: dict[str, _Element] = {}
    for el in root.iterfind(f"{_FHIR}snapshot/{_FHIR}element"):
        node, element_id = _parse_element(el), el.get("id")
        if "." in element_id:
            parent_id, segment = element_id.rsplit(".", 1)
            name, _, slice_name = segment.partition(":")
            sliced = by_id.get(f"{parent_id}.{name}")
            if slice_name and sliced is not None:
                sliced.slices[slice_name] = node
            else:
                by_id[parent_id].children[node.name] = node
        by_id[element_id] = node
    for node in by_id.values():
        if node.content_reference:
            node.children = by_id[node.content_reference.lstrip("#")].children
        for slice_ in node.slices.values():
            slice_.match = {path: _slice_value(slice_, path) for path in node.discriminators}
    return by_id[_value(root, "type")]


def _path_values(item, path: str) -> list:
    values = [item]
    for segment in path.split("."):
        found = [v.get(segment) for v in values if isinstance(v, dict)]
        values = [x for v in found for x in (v if isinstance(v, list) else [v]) if x is not None]
    return values


@dataclass
class _Structure:
    url: str
    kind: str
    type: str
    contexts: list[str]
    root: _Element


class ProfileChecker:
    """The GP Connect 1.2.7 profiles, extensions, ValueSets and CodeSystems of one folder."""

    def __init__(self, folder: Path = GPC_DEFINITIONS):
        self._structures: dict[str, _Structure] = {}
        for file in sorted((folder / "StructureDefinitions").glob("*.xml")):
            root = etree.parse(str(file)).getroot()
            url = _value(root, "url")
            contexts = [c.get("value") for c in root.iterfind(_FHIR + "context")]
            self._structures[url] = _Structure(
                url, _value(root, "kind"), _value(root, "type"), contexts, _parse_snapshot(root)
            )
        self._codesystems: dict[str, frozenset[str]] = {}
        for file in sorted((folder / "CodeSystems").glob("*.xml")):
            root = etree.parse(str(file)).getroot()
            if _value(root, "content") == "complete":
                codes = frozenset(c.get("value") for c in root.iterfind(f".//{_FHIR}concept/{_FHIR}code"))
                self._codesystems[_value(root, "url")] = codes
        self._valuesets: dict[str, frozenset[tuple[str, str]] | None] = {}
        for file in sorted((folder / "ValueSets").glob("*.xml")):
            root = etree.parse(str(file)).getroot()
            self._valuesets[_value(root, "url")] = self._expand(root)

    def _expand(self, root) -> frozenset[tuple[str, str]] | None:
        compose = root.find(_FHIR + "compose")
        if compose is None or compose.find(_FHIR + "exclude") is not None:
            return None
        codes = set()
        for include in compose.iterfind(_FHIR + "include"):
            system = _value(include, "system")
            listed = [_value(c, "code") for c in include.iterfind(_FHIR + "concept")]
            if include.find(_FHIR + "filter") is not None or include.find(_FHIR + "valueSet") is not None:
                return None
            if listed:
                codes |= {(system, code) for code in listed}
            elif system in self._codesystems:
                codes |= {(system, code) for code in self._codesystems[system]}
            else:
                return None
        return frozenset(codes)

    def value_set_codes(self, url: str) -> frozenset[tuple[str, str]] | None:
        """The (system, code) pairs of a local ValueSet, or None if it cannot be expanded locally."""
        return self._valuesets.get(url)

    def check(self, resource: dict) -> list[str]:
        """Problems of ``resource`` against the profile in its ``meta.profile[0]``; empty if it conforms."""
        problems: list[str] = []
        self._check_resource(resource, str(resource.get("resourceType")), resource, problems)
        return problems

    def _check_resource(self, resource, where: str, container: dict, problems: list[str]) -> None:
        profiles = (resource.get("meta") or {}).get("profile") or [None]
        structure = self._structures.get(profiles[0])
        if structure is None or structure.kind != "resource":
            problems.append(f"{where}: meta.profile[0] {profiles[0]!r} is not a GP Connect resource profile")
        elif resource.get("resourceType") != structure.type:
            problems.append(f"{where}: resourceType must be {structure.type} for {structure.url}")
        else:
            body = {k: v for k, v in resource.items() if k != "resourceType"}
            _Walk(self, container, problems).object(structure.root, body, where)

    def _resource_type(self, profile: str) -> str:
        structure = self._structures.get(profile)
        return structure.type if structure else profile.rsplit("/", 1)[-1]


@functools.cache
def checker() -> ProfileChecker:
    """The checker for the shared GP Connect 1.2.7 folder, loaded once per test session."""
    return ProfileChecker(GPC_DEFINITIONS)


@dataclass
class _Walk:
    """One walk of a resource: where ``#id`` references resolve, and the problems found."""

    checker: ProfileChecker
    container: dict
    problems: list[str]

    def report(self, where: str, problem: str) -> None:
        self.problems.append(f"{where}: {problem}")

    def object(self, node: _Element, obj: dict, where: str) -> None:
        known: set[str] = set()
        for child in node.children.values():
            known |= child.keys.keys()
            present = [key for key in child.keys if key in obj]
            if len(present) > 1:
                self.report(where, f"only one of {', '.join(present)} is allowed")
            items = []
            for key in present:
                value = obj[key]
                if child.repeats != isinstance(value, list):
                    self.report(f"{where}.{key}", "must be a JSON array" if child.repeats else "must not be an array")
                values = value if isinstance(value, list) else [value]
                indexed = child.repeats and isinstance(value, list)
                items += [(f"{where}.{key}[{i}]" if indexed else f"{where}.{key}", child.keys[key], v)
                          for i, v in enumerate(values)]
            label = f"{where}.{present[0] if present else child.name}"
            self.cardinality(child, len(items), label)
            self.items(child, items, label)
        for key in obj:
            if key not in known and not (key.startswith("_") and key[1:] in known):
                self.report(f"{where}.{key}", "is not an element of the profile")

    def cardinality(self, node: _Element, count: int, where: str) -> None:
        if count < node.min:
            self.report(where, f"at least {node.min} required, found {count}")
        elif count > node.max:
            self.report(where, f"not allowed (max 0), found {count}" if node.max == 0
                        else f"at most {node.max} allowed, found {count}")

    def items(self, node: _Element, items: list, label: str) -> None:
        if not node.discriminators:
            for where, code, value in items:
                self.item(node, where, code, value)
            return
        counts = dict.fromkeys(node.slices, 0)
        for where, code, value in items:
            name = next((n for n, s in node.slices.items()
                         if all(v in _path_values(value, p) for p, v in s.match.items())), None)
            if name is not None:
                counts[name] += 1
                self.item(node.slices[name], where, code, value)
            elif node.closed:
                self.report(where, f"matches none of the closed slices {', '.join(node.slices)}")
            else:
                self.unsliced(node, where, code, value)
        for name, count in counts.items():
            self.cardinality(node.slices[name], count, f"{label}:{name}")

    def unsliced(self, node: _Element, where: str, code: str | None, value) -> None:
        self.item(node, where, code, value)
        if not isinstance(value, dict):
            return
        if code == "Extension":
            url = value.get("url")
            structure = self.checker._structures.get(url)
            parent = node.path.rsplit(".", 1)[0]
            if node.slices:
                self.report(where, f"extension {url!r} is not one of the profile's slices {', '.join(node.slices)}")
            elif not str(url).startswith(_NHS_EXTENSIONS):
                self.report(where, f"extension {url!r} is not an {_NHS_EXTENSIONS} extension")
            elif structure is not None:
                if parent not in structure.contexts:
                    self.report(where, f"extension {url} is not allowed on {parent} (contexts {structure.contexts})")
                self.object(structure.root, value, where)
        elif code == "Identifier" and str(value.get("system")).startswith(_NHS_ID_NAMESPACES):
            systems = [s.match.get("system") for s in node.slices.values()]
            self.report(where, f"identifier system {value['system']!r} is not one of the profile's {systems}")

    def item(self, node: _Element, where: str, code: str | None, value) -> None:
        if not isinstance(value, (bool, int, float)) and not value:
            self.report(where, "empty or null values are not allowed")
            return
        is_complex = code is None or code[0].isupper()
        if is_complex != isinstance(value, dict):
            self.report(where, f"{code} must be {'a JSON object' if is_complex else 'a primitive value'}")
            return
        if node.fixed is not None and (str(value).lower() if isinstance(value, bool) else str(value)) != node.fixed:
            self.report(where, f"must be {node.fixed!r}, found {value!r}")
        if node.binding:
            self.binding(node.binding, where, code, value)
        if code == "Resource":  # its own profile, not the snapshot's expansion of the abstract Resource
            container = self.container if node.path.endswith(".contained") else value
            self.checker._check_resource(value, where, container, self.problems)
            return
        if code == "Reference":
            self.reference(node, where, value)
        elif code == "Extension":
            for profile in node.profiles:
                if profile in self.checker._structures:
                    self.object(self.checker._structures[profile].root, value, where)
        if is_complex and node.children:
            self.object(node, value, where)

    def binding(self, binding: tuple[str, str], where: str, code: str | None, value) -> None:
        strength, url = binding
        codes = self.checker.value_set_codes(url)
        if codes is None:
            return
        if code == "code":
            if strength in ("required", "extensible") and value not in {c for _, c in codes}:
                self.report(where, f"{value!r} is not in ValueSet {url} ({strength} binding)")
            return
        if code == "Coding":
            codings = [value]
        elif code == "CodeableConcept":
            codings = [c for c in value.get("coding") or [] if isinstance(c, dict)]
        else:
            return
        for coding in codings:
            system, system_codes = coding.get("system"), self.checker._codesystems.get(coding.get("system"))
            if system in self.checker._valuesets:
                self.report(where, f"coding system {system} is a ValueSet URL, not a CodeSystem")
            elif system_codes is not None and coding.get("code") not in system_codes:
                self.report(where, f"{coding.get('code')!r} is not a code of CodeSystem {system}")
        if strength == "required" and not {(c.get("system"), c.get("code")) for c in codings} & codes:
            self.report(where, f"needs a coding from ValueSet {url} (required binding)")

    def reference(self, node: _Element, where: str, value: dict) -> None:
        ref = value.get("reference")
        if not isinstance(ref, str) or ref.startswith("urn:"):
            return
        if ref.startswith("#"):
            contained = self.container.get("contained") or []
            target = next((r.get("resourceType") for r in contained if r.get("id") == ref[1:]), None)
            if target is None:
                self.report(where, f"{ref} does not name a contained resource")
                return
        else:
            parts = ref.split("/")
            parts = parts[: parts.index("_history")] if "_history" in parts else parts
            target = parts[-2] if len(parts) > 1 else None
        allowed = {self.checker._resource_type(p) for p in node.profiles}
        if allowed and "Resource" not in allowed and target not in allowed:
            self.report(where, f"{ref} must refer to {' or '.join(sorted(allowed))}")
