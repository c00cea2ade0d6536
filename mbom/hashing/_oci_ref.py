"""``oci://HOST/REPO[:TAG|@sha256:HEX]``: parsing, display, and when plain HTTP is allowed.

Usage::

    from mbom.hashing._oci_ref import is_oci, parse_reference

    ref = parse_reference("oci://127.0.0.1:5000/models/demo:v1")
    ref.host, ref.repository, ref.tag          # '127.0.0.1:5000', 'models/demo', 'v1'
    ref.pinned("sha256:...").display           # 'oci://127.0.0.1:5000/models/demo@sha256:...'
    ref.plain_http                             # True: loopback only, or listed in the variable

A tag is a name the registry may move at any time; what mbom records, signs and reports is the
digest the tag resolved to (once). Plain HTTP is used only for a loopback registry
(``localhost``, ``127.0.0.1``, ``[::1]``) or a host listed in ``MBOM_OCI_INSECURE_REGISTRIES``
(comma-separated ``HOST[:PORT]``, what ``--insecure-registry`` sets); everything else is HTTPS
with certificate checks.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace

from mbom.errors import InputError

SCHEME = "oci://"
INSECURE_VARIABLE = "MBOM_OCI_INSECURE_REGISTRIES"
_LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
_HOST = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")
# The distribution spec's grammar for repository names, tags and digests.
_REPOSITORY = re.compile(
    r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$"
)
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class OciReference:
    """One artifact in a registry: by tag, by digest, or both (the tag then only informs)."""

    host: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def display(self) -> str:
        """``oci://HOST/REPO@DIGEST`` when pinned, else ``oci://HOST/REPO:TAG``."""
        suffix = f"@{self.digest}" if self.digest else f":{self.tag or 'latest'}"
        return f"{SCHEME}{self.host}/{self.repository}{suffix}"

    @property
    def name(self) -> str:
        """``HOST/REPO`` (what a purl's repository_url and the Docker config key on)."""
        return f"{self.host}/{self.repository}"

    @property
    def reference(self) -> str:
        """What goes after ``/manifests/``: the digest when known, else the tag."""
        return self.digest or self.tag or "latest"

    @property
    def plain_http(self) -> bool:
        return allows_plain_http(self.host)

    def pinned(self, digest: str) -> OciReference:
        """The same artifact by digest (the tag kept as information)."""
        return replace(self, digest=digest)


def is_oci(location: str) -> bool:
    return location.startswith(SCHEME)


def parse_reference(text: str) -> OciReference:
    """Parse ``oci://HOST/REPO[:TAG][@sha256:HEX]``; an input error names what is wrong."""
    if not is_oci(text):
        raise InputError(f"{text!r}: expected oci://HOST/REPO[:TAG|@sha256:DIGEST]")
    rest = text[len(SCHEME) :]
    host, slash, path = rest.partition("/")
    if not slash or not _HOST.match(host) or "@" in host:
        raise InputError(f"{text!r}: expected oci://HOST/REPO[:TAG|@sha256:DIGEST]")
    path, at, digest = path.partition("@")
    repository, tag = path, None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        repository, _, tag = path.rpartition(":")
        if not _TAG.match(tag):
            raise InputError(f"{text!r}: {tag!r} is not a valid tag")
    if not _REPOSITORY.match(repository):
        raise InputError(f"{text!r}: {repository!r} is not a valid repository name")
    if at and not DIGEST.match(digest):
        raise InputError(f"{text!r}: the digest must be sha256: and 64 lowercase hex digits")
    return OciReference(host=host, repository=repository, tag=tag, digest=digest or None)


def allows_plain_http(host: str) -> bool:
    """Loopback, or a host the user listed as insecure (``MBOM_OCI_INSECURE_REGISTRIES``)."""
    bare = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if bare in _LOOPBACK:
        return True
    listed = {item.strip() for item in os.environ.get(INSECURE_VARIABLE, "").split(",")}
    return host in listed or bare in listed
