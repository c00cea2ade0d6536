"""What a layer is made of: a file as it is (``.raw``) or a tar of files, read safely.

Usage::

    from mbom.hashing._oci_layers import is_tar_layer, layer_name, tar_members

    layer_name(descriptor)        # org.cncf.model.filepath / image.title, else blobs/sha256/HEX
    if is_tar_layer(descriptor.media_type):
        for member in tar_members(handle, descriptor.media_type, where=...):
            member.name, member.size, member.read(n)     # regular files only, in tar order

A tar layer is whoever built it: its members are read as a stream, never extracted by
``tarfile`` itself. Only regular files and directories are accepted; a member name that is
absolute or climbs out (``..``) is refused, and so are symbolic and hard links, devices and
FIFOs (a link inside a model could point anywhere on the machine that unpacks it). The
member count and the unpacked bytes are bounded (``MBOM_OCI_MAX_MEMBERS``,
``MBOM_OCI_MAX_UNPACKED_BYTES``): a small compressed layer must not fill the disk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from mbom.errors import InputError
from mbom.hashing._oci_manifest import Descriptor
from mbom.paths import check_relative_name

DEFAULT_MAX_MEMBERS = 1_000_000
DEFAULT_MAX_UNPACKED = 1 << 40  # 1 TiB


class UnsafeLayerError(InputError):
    """A tar layer holds something mbom will not unpack (a link, a device, a path out)."""


@dataclass(frozen=True, slots=True)
class Member:
    """One regular file inside a tar layer, readable once, in order."""

    name: str
    size: int
    stream: BinaryIO

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)


def layer_name(descriptor: Descriptor) -> str:
    """The model file a layer stands for (its annotation), or a name from its digest."""
    named = descriptor.filepath
    if named is None:
        return f"blobs/sha256/{descriptor.hex}"
    return check_relative_name(named.removeprefix("./"))


def is_tar_layer(media_type: str) -> bool:
    """ModelPack ``...v1.tar[+gzip|+zstd]`` and image layers (``...layer.v1.tar``, Docker's
    ``rootfs.diff.tar.gzip``); a ``.raw`` layer is the file itself."""
    tail = media_type.rsplit(".", 1)[-1]
    return tail.startswith("tar") or media_type.endswith(".tar.gzip")


def _open_tar(handle: BinaryIO, media_type: str, where: str):  # -> tarfile.TarFile
    import tarfile

    if media_type.endswith("+zstd") or media_type.endswith(".zstd"):
        try:
            import zstandard
        except ImportError:
            raise InputError(f"{where}: a zstd layer needs the zstandard package") from None
        handle = zstandard.ZstdDecompressor().stream_reader(handle)  # type: ignore[assignment]
        return tarfile.open(fileobj=handle, mode="r|")
    return tarfile.open(fileobj=handle, mode="r|*")  # plain or gzip, detected


def _bound(variable: str, default: int) -> int:
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise InputError(f"{variable}={text!r}: expected a number of bytes or members")
    return int(text)


def tar_members(handle: BinaryIO, media_type: str, *, where: str) -> Iterator[Member]:
    """The regular files of a tar layer streamed from ``handle`` (checked as they come)."""
    import tarfile

    max_members = _bound("MBOM_OCI_MAX_MEMBERS", DEFAULT_MAX_MEMBERS)
    max_bytes = _bound("MBOM_OCI_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED)
    count = unpacked = 0
    seen: set[str] = set()
    try:
        archive = _open_tar(handle, media_type, where)
        for info in archive:
            count += 1
            if count > max_members:
                raise UnsafeLayerError(f"{where}: more than {max_members} members; refusing")
            raw = info.name.removeprefix("./")
            if info.isdir() and raw in ("", "."):
                continue
            try:
                name = check_relative_name(raw.rstrip("/"))
            except InputError:
                raise UnsafeLayerError(
                    f"{where}: member {info.name!r} leaves the model root; refusing", path=where
                ) from None
            if info.isdir():
                continue
            if not info.isreg():
                kind = "link" if info.issym() or info.islnk() else "special file"
                raise UnsafeLayerError(
                    f"{where}: member {name!r} is a {kind}; only regular files are unpacked",
                    path=where,
                )
            if name in seen:
                raise UnsafeLayerError(f"{where}: member {name!r} appears twice", path=where)
            seen.add(name)
            unpacked += info.size
            if unpacked > max_bytes:
                raise UnsafeLayerError(
                    f"{where}: unpacks to more than {max_bytes} bytes; refusing "
                    "(MBOM_OCI_MAX_UNPACKED_BYTES)",
                    path=where,
                )
            stream = archive.extractfile(info)
            assert stream is not None  # a regular file
            yield Member(name=name, size=info.size, stream=stream)
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise UnsafeLayerError(f"{where}: not a readable tar layer ({exc})", path=where) from None
