"""Fixity: every copy's file read back and its checksum recomputed (`manage.py verify_copies`).

A copy whose file is missing, or whose bytes no longer give the SHA-256 recorded when it was
written, is reported; so is a public derivative. Nothing is repaired or rewritten: a report
for a person to act on (restore the file from a backup, which the checksum then confirms).
"""

import hashlib
from dataclasses import dataclass

from .models import ArchivedCopy, copies_storage

CHUNK = 1024 * 1024


@dataclass
class Problem:
    copy_id: int
    name: str
    what: str  # "missing" or "changed"
    detail: str = ""

    def __str__(self):
        return f"copy {self.copy_id}: {self.name} is {self.what}{self.detail}"


def digest_of(storage, name):
    """(SHA-256, size) of the stored file `name`; FileNotFoundError if it is not there."""
    hasher, size = hashlib.sha256(), 0
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


def verify(copies=None, progress=None):
    """Yield each Problem; `progress` (a callable) is told of each copy read."""
    storage = copies_storage()
    copies = ArchivedCopy.objects.all() if copies is None else copies
    rows = copies.order_by("pk").values_list(
        "pk", "file", "sha256", "size", "public_file", "public_sha256"
    )
    for pk, name, sha256, size, public_name, public_sha256 in rows.iterator(chunk_size=2000):
        for file_name, expected, expected_size in (
            (name, sha256, size),
            (public_name, public_sha256, None),
        ):
            if not file_name:
                continue
            try:
                found, found_size = digest_of(storage, file_name)
            except FileNotFoundError:
                yield Problem(pk, file_name, "missing")
                continue
            if found != expected:
                yield Problem(pk, file_name, "changed", f": SHA-256 {found}, recorded {expected}")
            elif expected_size is not None and found_size != expected_size:
                yield Problem(
                    pk, file_name, "changed", f": {found_size} bytes, recorded {expected_size}"
                )
        if progress is not None:
            progress()
