"""A CycloneDX ML-BOM (either layout) -> SPDX 3.0.1 JSON-LD with the AI and Dataset profiles.

Usage::

    from mbom.bom.spdx3 import bom_to_spdx3
    text = bom_to_spdx3(bom_document)        # JSON-LD text, deterministic

Regulated buyers ask for SPDX 3; the BOM stays the signed source of truth and this is a view
of it. Every element is built with spdx-python-model (the SPDX project's generated
bindings, which check types and vocabularies as values are set) and serialised by its
JSON-LD serialiser. Identifiers derive from the BOM's serial number and bom-refs, so the same
BOM always gives the same bytes. docs/spdx.md maps every field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from mbom.bom._spdx3_facts import (
    dataset_types,
    dicts,
    energy_figures,
    hyperparameters,
    licence_ref,
    licence_text,
    props,
    timestamp,
    training_information,
)
from mbom.errors import MalformedFileError

NO_ASSERTION_LICENSE = "https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoAssertionLicense"
_HASHES = {"SHA-256": "sha256", "SHA-512": "sha512", "BLAKE3": "blake3", "SHA-1": "sha1"}


class _Export:
    """One conversion: holds the SPDX module, the shared CreationInfo and the elements."""

    def __init__(self, bom: Mapping[str, Any]) -> None:
        from spdx_python_model import v3_0_1 as spdx

        from mbom import __version__

        self.spdx = spdx
        self.bom = bom
        serial = str(bom.get("serialNumber") or "urn:uuid:00000000-0000-0000-0000-000000000000")
        self.namespace = serial if serial.startswith("urn:") else f"urn:mbom:{quote(serial)}"
        metadata = bom.get("metadata") if isinstance(bom.get("metadata"), Mapping) else {}
        self.created = timestamp(metadata.get("timestamp"))
        self.info = spdx.CreationInfo(specVersion="3.0.1", created=self.created)
        self.agent = spdx.SoftwareAgent(
            spdxId=self.iri("agent:mbom"), name="mbom", creationInfo=self.info
        )
        self.tool = spdx.Tool(
            spdxId=self.iri("tool:mbom"), name=f"mbom {__version__}", creationInfo=self.info
        )
        self.info.createdBy = [self.agent]
        self.info.createdUsing = [self.tool]
        self.elements: list[Any] = [self.agent, self.tool]
        self._relations = 0

    def iri(self, ref: str) -> str:
        return f"{self.namespace}#{quote(ref, safe='')}"

    def relate(
        self, source: Any, kind: str, targets: Sequence[Any], scope: str | None = None
    ) -> None:
        if not targets:
            return
        spdx = self.spdx
        self._relations += 1
        fields = {
            "spdxId": self.iri(f"relationship:{self._relations}"),
            "creationInfo": self.info,
            "from_": source,
            "to": list(targets),
            "relationshipType": getattr(spdx.RelationshipType, kind),
        }
        if scope is None:
            self.elements.append(spdx.Relationship(**fields))
        else:
            scoped = spdx.LifecycleScopedRelationship(**fields)
            scoped.scope = getattr(spdx.LifecycleScopeType, scope)
            self.elements.append(scoped)

    def hashes(self, component: Mapping[str, Any]) -> list[Any]:
        spdx = self.spdx
        return [
            spdx.Hash(
                algorithm=getattr(spdx.HashAlgorithm, _HASHES[h["alg"]]),
                hashValue=str(h.get("content", "")).lower(),
            )
            for h in dicts(component.get("hashes"))
            if h.get("alg") in _HASHES
        ]

    def licences(self, element: Any, component: Mapping[str, Any], ref: str) -> None:
        """Declared licence from the BOM (an SPDX id or name), concluded: NOASSERTION."""
        spdx = self.spdx
        declared: Any = NO_ASSERTION_LICENSE
        texts = [text for text in map(licence_text, dicts(component.get("licenses"))) if text]
        if texts:
            declared = spdx.simplelicensing_LicenseExpression(
                spdxId=self.iri(f"license:{ref}"),
                creationInfo=self.info,
                simplelicensing_licenseExpression=" AND ".join(licence_ref(t) for t in texts),
            )
            self.elements.append(declared)
        self.relate(element, "hasDeclaredLicense", [declared])
        self.relate(element, "hasConcludedLicense", [NO_ASSERTION_LICENSE])

    # ------------------------------------------------------------------------- model

    def model(self) -> Any:
        from mbom.bom.ml_parts import ModelCard
        from mbom.bom.subjects import model_component

        spdx = self.spdx
        component = model_component(self.bom)
        facts = props(component)
        card_json = component.get("modelCard")
        card = ModelCard.from_json(card_json if isinstance(card_json, Mapping) else {})
        package = spdx.ai_AIPackage(
            spdxId=self.iri("model"),
            name=str(component.get("name") or "model"),
            creationInfo=self.info,
            software_primaryPurpose=spdx.software_SoftwarePurpose.model,
        )
        if component.get("version"):
            package.software_packageVersion = str(component["version"])
        if component.get("description"):
            package.description = str(component["description"])
        if component.get("purl"):
            package.software_packageUrl = str(component["purl"])
        for reference in dicts(component.get("externalReferences")):
            if reference.get("type") == "distribution" and reference.get("url"):
                package.software_downloadLocation = str(reference["url"])
        package.verifiedUsing = self.hashes(component)
        root = facts.get("mbom:merkle-root:sha256")
        if root:
            package.comment = f"mbom directory digest (Merkle root, sha256): {root}"
        package.ai_domain = [card.task] if card.task else []
        package.ai_typeOfModel = [
            t for t in (card.model_architecture, card.architecture_family) if t
        ]
        package.ai_hyperparameter = [
            spdx.DictionaryEntry(key=name, value=value) for name, value in hyperparameters(self.bom)
        ]
        package.ai_metric = [
            spdx.DictionaryEntry(
                key=f"{m.type}@{m.slice}" if m.slice else m.type, value=m.value or None
            )
            for m in card.metrics
            if m.type
        ]
        if card.technical_limitations:
            package.ai_limitation = "\n\n".join(card.technical_limitations)
        figures = energy_figures(card_json)
        if figures:
            package.ai_energyConsumption = self.energy(figures)
        training = training_information(self.bom)
        if training:
            package.ai_informationAboutTraining = training
        self.elements.append(package)
        self.licences(package, component, "model")
        files = [self.file(entry) for entry in dicts(component.get("components"))]
        self.relate(package, "contains", [f for f in files if f is not None])
        self.ancestors(package, component)
        return package

    def file(self, component: Mapping[str, Any]) -> Any:
        if component.get("type") != "file":
            return None
        spdx = self.spdx
        facts = props(component)
        element = spdx.software_File(
            spdxId=self.iri(str(component.get("bom-ref") or f"model-file:{component.get('name')}")),
            name=str(component.get("name")),
            creationInfo=self.info,
            verifiedUsing=self.hashes(component),
        )
        notes = [
            f"{key.removeprefix('mbom:')}: {facts[key]}"
            for key in (
                "mbom:role",
                "mbom:size",
                "mbom:checkpoint:format",
                "mbom:checkpoint:safe-to-load",
                "mbom:checkpoint:dangerous-globals",
                "mbom:symlink",
            )
            if key in facts
        ]
        if notes:
            element.comment = "; ".join(notes)
        if facts.get("mbom:role") == "weights":
            element.software_primaryPurpose = spdx.software_SoftwarePurpose.model
        elif facts.get("mbom:role") == "config":
            element.software_primaryPurpose = spdx.software_SoftwarePurpose.configuration
        self.elements.append(element)
        return element

    def energy(self, figures: Sequence[tuple[str, float, str]]) -> Any:
        spdx = self.spdx
        phases: dict[str, list[Any]] = {"training": [], "finetuning": [], "inference": []}
        for phase, quantity, unit in figures:
            kind = spdx.ai_EnergyUnitType.kilowattHour if unit == "kWh" else None
            phases[phase].append(
                spdx.ai_EnergyConsumptionDescription(
                    ai_energyQuantity=quantity, ai_energyUnit=kind or spdx.ai_EnergyUnitType.other
                )
            )
        return spdx.ai_EnergyConsumption(
            ai_trainingEnergyConsumption=phases["training"],
            ai_finetuningEnergyConsumption=phases["finetuning"],
            ai_inferenceEnergyConsumption=phases["inference"],
        )

    def ancestors(self, package: Any, component: Mapping[str, Any]) -> None:
        spdx = self.spdx
        pedigree = component.get("pedigree")
        found = []
        for ancestor in dicts(pedigree.get("ancestors") if isinstance(pedigree, Mapping) else None):
            ref = str(ancestor.get("bom-ref") or f"ancestor:{ancestor.get('name')}")
            element = spdx.software_Package(
                spdxId=self.iri(ref),
                name=str(ancestor.get("name") or ref),
                creationInfo=self.info,
                software_primaryPurpose=spdx.software_SoftwarePurpose.model,
            )
            if ancestor.get("version"):
                element.software_packageVersion = str(ancestor["version"])
            if ancestor.get("purl"):
                element.software_packageUrl = str(ancestor["purl"])
            self.elements.append(element)
            found.append(element)
        self.relate(package, "descendantOf", found)

    # ---------------------------------------------------------------------- datasets

    def datasets(self, package: Any) -> list[Any]:
        from mbom.bom.datasets import is_configuration

        spdx = self.spdx
        found = []
        for component in dicts(self.bom.get("components")):
            if component.get("type") != "data" or is_configuration(component):
                continue
            facts = props(component)
            ref = str(component.get("bom-ref") or f"dataset:{component.get('name')}")
            element = spdx.dataset_DatasetPackage(
                spdxId=self.iri(ref),
                name=str(component.get("name") or ref),
                creationInfo=self.info,
                software_primaryPurpose=spdx.software_SoftwarePurpose.data,
                dataset_datasetType=[
                    getattr(spdx.dataset_DatasetType, kind)
                    for kind in dataset_types(facts.get("mbom:dataset:task_categories", ""))
                ],
                verifiedUsing=self.hashes(component),
            )
            if facts.get("mbom:dataset:bytes", "").isdigit():
                element.dataset_datasetSize = int(facts["mbom:dataset:bytes"])
            location = facts.get("mbom:dataset:location", "")
            if "://" in location:
                element.software_downloadLocation = location
            if component.get("description"):
                element.description = str(component["description"])
            if component.get("purl"):
                element.software_packageUrl = str(component["purl"])
            notes = [
                f"{key.removeprefix('mbom:')}: {facts[key]}"
                for key in (
                    "mbom:dataset:location",
                    "mbom:dataset:files",
                    "mbom:merkle-root:sha256",
                    "mbom:manifest",
                    "mbom:manifest:sha256",
                    "mbom:hashed",
                )
                if key in facts
            ]
            element.comment = "; ".join(notes) or None
            self.elements.append(element)
            self.licences(element, component, ref)
            found.append(element)
        self.relate(package, "trainedOn", found)
        return found

    def environment(self, package: Any) -> None:
        from mbom.bom.environment_components import recorded_environment

        spdx = self.spdx
        found = []
        for index, component in enumerate(recorded_environment(self.bom)):
            ref = str(component.get("bom-ref") or f"environment:{index}")
            element = spdx.software_Package(
                spdxId=self.iri(ref),
                name=str(component.get("name") or ref),
                creationInfo=self.info,
            )
            if component.get("version"):
                element.software_packageVersion = str(component["version"])
            if component.get("purl"):
                element.software_packageUrl = str(component["purl"])
            kind = component.get("type")
            element.software_primaryPurpose = (
                spdx.software_SoftwarePurpose.container
                if kind == "container"
                else spdx.software_SoftwarePurpose.library
            )
            self.elements.append(element)
            found.append(element)
        self.relate(package, "dependsOn", found, scope="build")

    # ---------------------------------------------------------------------- document

    def document(self) -> dict[str, Any]:
        spdx = self.spdx
        package = self.model()
        datasets = self.datasets(package)
        self.environment(package)
        profiles = ["core", "software", "ai", "simpleLicensing"]
        if datasets:
            profiles.append("dataset")
        document = spdx.SpdxDocument(
            spdxId=self.iri("document"),
            name=f"{package.name} (SPDX 3.0.1 export of an mbom BOM)",
            creationInfo=self.info,
            rootElement=[package],
            element=list(self.elements),
            profileConformance=[getattr(spdx.ProfileIdentifierType, p) for p in profiles],
        )
        objects = spdx.SHACLObjectSet()
        for element in [document, *self.elements]:
            objects.add(element)
        data = spdx.JSONLDSerializer().serialize_data(objects)
        return data


def bom_to_spdx3(bom: Mapping[str, Any]) -> str:
    """The SPDX 3.0.1 JSON-LD text for ``bom`` (2-space indented, keys sorted, newline)."""
    try:
        data = _Export(bom).document()
    except (TypeError, ValueError) as exc:  # a value the SPDX bindings refuse
        raise MalformedFileError(f"cannot express the BOM in SPDX 3.0.1: {exc}") from None
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
