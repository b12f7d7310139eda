"""The archived copies' files beside an archive file (docs/archive-format.md, "Files").

`archive.jsonl` keeps its copies' files in the folder `archive.files/`, each under the name
the copies storage gives it (`originals/ab/<SHA-256>.<extension>`, `public/…` for an image's
public derivative), with `manifest-sha256.txt` listing them as `<SHA-256>  <name>`, the
layout `sha256sum --check` reads (and BagIt's manifest). The archive's records carry the
same checksums; they, not the manifest, are what a load checks each file against.

Export: `replace_output` writes the archive and its folder under temporary names and puts
them in place only when both are complete; `FilesWriter` copies each file from the copies
storage as its copy's record is written, checking it against its checksum on the way.
Load: `install_files` checks each loaded copy's files in the folder and copies them into the
copies storage, inside the load's transaction; a refusal removes what it had written.
"""

import contextlib
import hashlib
import os
import re
import shutil
from pathlib import Path

from django.core.files import File

from preservation.files import EXTENSIONS
from preservation.models import ArchivedCopy, copies_storage
from stories.interchange.archive import LoadError, label

MANIFEST = "manifest-sha256.txt"
CHUNK = 1024 * 1024
# Where a copy's file may be, for its checksum: the storage's own layout, and nothing else
# (a record cannot name a file outside the folder, or under another file's checksum).
EXTENSION = "|".join(sorted({re.escape(e) for e in EXTENSIONS.values()} | {"bin"}))
NAME = re.compile(
    rf"\A(?P<folder>originals|public)/(?P<ab>[0-9a-f]{{2}})/(?P<sha>[0-9a-f]{{64}})\.(?:{EXTENSION})\Z"
)


class ExportError(Exception):
    """The archive cannot be exported as it stands; says which copy and why."""


def files_folder(path):
    """The folder of the archive file `path`'s copies: `archive.jsonl` -> `archive.files`."""
    path = Path(path)
    stem = path.name.removesuffix(".jsonl")
    return path.with_name(f"{stem}.files")


@contextlib.contextmanager
def replace_output(path):
    """(temporary file, FilesWriter) to write the export to; on success they replace `path`
    and its folder (a folder of an earlier export goes: the new one is the whole set of
    files), on failure they are removed and `path` is as it was."""
    path = Path(path)
    partial = path.with_name(f"{path.name}.partial")
    folder = files_folder(path)
    partial_folder = folder.with_name(f"{folder.name}.partial")
    shutil.rmtree(partial_folder, ignore_errors=True)
    writer = FilesWriter(partial_folder)
    try:
        yield partial, writer
        writer.close()
    except BaseException:
        writer.close()
        partial.unlink(missing_ok=True)
        shutil.rmtree(partial_folder, ignore_errors=True)
        raise
    old = folder.with_name(f"{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    if writer.count:
        partial_folder.rename(folder)
    os.replace(partial, path)
    shutil.rmtree(old, ignore_errors=True)


class FilesWriter:
    """Copies each exported copy's files into `folder` (once each) and lists them in the
    manifest, in the order the archive first names them."""

    def __init__(self, folder):
        self.folder = folder
        self.manifest = None
        self.count = 0
        self.storage = None

    def add(self, fields):
        if self.folder is None:
            return
        for name, digest in (
            (fields["file"], fields["sha256"]),
            (fields["public_file"], fields["public_sha256"]),
        ):
            if name and not (self.folder / name).exists():
                self.copy(fields, name, digest)

    def copy(self, fields, name, digest):
        post = fields["post"]
        which = f"the copy of post {post} captured {fields['captured_at']}"
        if NAME.match(name) is None or NAME.match(name)["sha"] != digest:
            raise ExportError(f"{which}: its file {name!r} is not named after its checksum")
        if self.storage is None:
            self.storage = copies_storage()
            self.folder.mkdir(parents=True)
            self.manifest = open(self.folder / MANIFEST, "w", encoding="ascii")  # noqa: SIM115
        target = self.folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        try:
            with self.storage.open(name, "rb") as source, open(target, "wb") as out:
                while chunk := source.read(CHUNK):
                    hasher.update(chunk)
                    out.write(chunk)
        except FileNotFoundError:
            target.unlink(missing_ok=True)
            raise ExportError(
                f"{which}: its file {name} is missing from the copies storage "
                "(run `manage.py verify_copies`; restore it from a backup)"
            ) from None
        if hasher.hexdigest() != digest:
            target.unlink()
            raise ExportError(
                f"{which}: its file {name} no longer matches its SHA-256 "
                "(run `manage.py verify_copies`; restore it from a backup)"
            )
        self.manifest.write(f"{digest}  {name}\n")
        self.count += 1

    def close(self):
        if self.manifest is not None:
            self.manifest.close()
            self.manifest = None


def install_files(folder):
    """Copy the loaded copies' files from `folder` into the copies storage, each checked
    against its record's checksum (and the original's size); LoadError names the record's
    line (a loaded row's primary key is its line). Files the storage already holds are
    checked, not written again. On a refusal the files written here are removed."""
    folder = Path(folder)
    storage = copies_storage()
    written = []
    rows = ArchivedCopy.objects.order_by("pk").values_list(
        "pk", "file", "sha256", "size", "public_file", "public_sha256"
    )
    try:
        for line, name, digest, size, public_name, public_digest in rows.iterator(2000):
            install(storage, folder, line, "file", name, digest, size, written)
            if public_name or public_digest:
                install(
                    storage, folder, line, "public_file", public_name, public_digest, None, written
                )
    except BaseException:
        for name in written:
            storage.delete(name)
        raise
    return len(written)


def install(storage, folder, line, field, name, digest, size, written):
    where = f"{label(ArchivedCopy)}.{field}"
    match = NAME.match(name)
    expected = "originals" if field == "file" else "public"
    if (
        match is None
        or match["folder"] != expected
        or match["sha"] != digest
        or match["ab"] != digest[:2]
    ):
        raise LoadError(
            line,
            f"{where}: {name!r} is not where the format keeps this file "
            f"({expected}/{digest[:2]}/<its SHA-256>.<extension>, docs/archive-format.md)",
        )
    source = folder / name
    try:
        found, found_size = digest_of(source)
    except FileNotFoundError:
        raise LoadError(line, f"{where}: {name} is not in {folder}") from None
    if found != digest or (size is not None and found_size != size):
        raise LoadError(
            line,
            f"{where}: {folder / name} does not match the record "
            f"(SHA-256 {found}, {found_size} bytes): the file is damaged or not this copy's",
        )
    if storage.exists(name):
        with storage.open(name, "rb") as stored:
            if digest_of_stream(stored)[0] != digest:
                raise LoadError(
                    line,
                    f"{where}: the copies storage already holds {name} with other bytes "
                    "(run `manage.py verify_copies`)",
                )
        return
    with open(source, "rb") as handle:
        saved = storage.save(name, File(handle))
    written.append(saved)
    if saved != name:  # the storage renamed it: another process wrote the same file meanwhile
        raise LoadError(line, f"{where}: {name} appeared in the copies storage during the load")


def digest_of(path):
    with open(path, "rb") as handle:
        return digest_of_stream(handle)


def digest_of_stream(handle):
    hasher, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size
