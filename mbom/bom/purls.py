"""Package URLs for everything mbom records, built by packageurl-python (never by hand).

Usage::

    from mbom.bom.purls import pypi_purl, huggingface_purl
    pypi_purl("boolean.py", "5.0")          # 'pkg:pypi/boolean.py@5.0'
    pypi_purl("torch", "2.13.0+cpu")        # 'pkg:pypi/torch@2.13.0%2Bcpu'

The purl specification has per-type rules (PyPI names keep their dots but lower-case and
turn ``_`` into ``-``; ``+`` in a version is percent-encoded; OCI digests are the version);
packageurl-python implements them, so hand-made f-strings got them wrong. Each function
returns the canonical string, the form CycloneDX ``purl`` fields and bom-refs carry.
"""

from __future__ import annotations


def _purl(
    kind: str,
    name: str,
    *,
    namespace: str | None = None,
    version: str | None = None,
    qualifiers: dict[str, str] | None = None,
) -> str:
    from packageurl import PackageURL

    return PackageURL(
        type=kind,
        namespace=namespace or None,
        name=name,
        version=version or None,
        qualifiers=qualifiers or None,
    ).to_string()


def pypi_purl(name: str, version: str | None) -> str:
    """A Python distribution, by the name its metadata gives (``boolean.py``, ``Foo_Bar``)."""
    return _purl("pypi", name, version=version)


def huggingface_purl(repo_id: str, revision: str | None = None, *, dataset: bool = False) -> str:
    """A Hugging Face Hub repository (``org/name``), at a commit when known."""
    namespace, _, name = repo_id.rpartition("/")
    qualifiers = {"repository_url": "huggingface.co/datasets"} if dataset else None
    return _purl("huggingface", name, namespace=namespace, version=revision, qualifiers=qualifiers)


def oci_purl(name: str | None, digest: str) -> str:
    """A container image pinned by digest: ``pkg:oci/<last name>@sha256:...?repository_url=``."""
    if not name:
        return _purl("oci", "image", version=digest)
    repository = name.rsplit("@", 1)[0]
    last = repository.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        last, tag = last.split(":", 1)
        repository = repository[: -len(tag) - 1]
    qualifiers = {"repository_url": repository}
    if tag:
        qualifiers["tag"] = tag
    return _purl("oci", last.lower(), version=digest, qualifiers=qualifiers)


def generic_purl(name: str, *, version: str | None = None, url: str | None = None) -> str:
    """Anything without a package ecosystem (a dataset at a URL): ``pkg:generic/...``."""
    return _purl(
        "generic", name, version=version, qualifiers={"download_url": url} if url else None
    )


def looks_like_hub_id(name: str) -> bool:
    """``org/name`` and nothing else: the shape of a Hub repository id."""
    return name.count("/") == 1 and "://" not in name and not name.startswith((".", "/"))
