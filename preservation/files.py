"""Writing a copy's file, once, under its checksum; what visitors get of an image.

A file is stored under its own SHA-256 (`originals/ab/abcdef….jpg`): the name says what the
content must be, two captures of the same bytes share one file, and a file already there is
never written again (never replaced). An image whose metadata says where it was taken (EXIF
GPS, or XMP, which can hold the same) also gets a public derivative without it
(`public/…`); the original stays, for editors.
"""

import hashlib
import io
import warnings

from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

from .models import ArchivedCopy, copies_storage

# What a file may be, by media type: its extension, and whether visitors' browsers may show
# it in the page (pictures and video; a WARC or anything else is a download).
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "application/warc": "warc.gz",
    "text/html": "html",
}
SHOWN_IN_PAGE = {"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/webm"}
PILLOW_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
GPS_IFD = 0x8825


class NotAnImage(ValueError):
    pass


def checksum(data):
    return hashlib.sha256(data).hexdigest()


def save_once(folder, data, media_type):
    """Store `data` under its checksum in `folder` unless it is there already; return
    (name, checksum)."""
    digest = checksum(data)
    extension = EXTENSIONS.get(media_type, "bin")
    name = f"{folder}/{digest[:2]}/{digest}.{extension}"
    storage = copies_storage()
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(data))
        if saved != name:  # (another process wrote it meanwhile, and the storage renamed ours)
            storage.delete(saved)
    return name, digest


def image_type(data):
    """The media type of an image Pillow can read completely (JPEG, PNG, GIF, WebP), or
    NotAnImage saying why not. A decompression bomb is not an image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise NotAnImage("not a picture this archive can read (JPEG, PNG, GIF or WebP)") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise NotAnImage(f"a damaged picture: {error}") from None
    if kind not in PILLOW_FORMATS:
        raise NotAnImage(f"a {kind} picture; the archive keeps JPEG, PNG, GIF or WebP")
    return PILLOW_FORMATS[kind]


def without_location(data):
    """The image's bytes again without location metadata (EXIF GPS, XMP), or None if it
    carries none. JPEGs keep their quantisation tables ("keep"), so the picture is not
    visibly re-compressed."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        has_gps = GPS_IFD in exif and bool(exif.get_ifd(GPS_IFD))
        has_xmp = "xmp" in image.info or "XML:com.adobe.xmp" in image.info
        if not (has_gps or has_xmp):
            return None
        if GPS_IFD in exif:
            del exif[GPS_IFD]
        options = {"exif": exif.tobytes()}
        if image.format == "JPEG":
            options["quality"] = "keep"
        if image.format == "GIF" or getattr(image, "n_frames", 1) > 1:
            options["save_all"] = True
        out = io.BytesIO()
        image.info.pop("xmp", None)
        image.info.pop("XML:com.adobe.xmp", None)
        image.save(out, format=image.format, **options)
        return out.getvalue()


def new_copy(post, *, kind, data, media_type, original_url, captured_by, captured_at):
    """Write `data` and its public derivative (an image with location data) and add the
    copy's row (the caller holds the transaction)."""
    name, digest = save_once("originals", data, media_type)
    public_name, public_digest = "", ""
    if kind == ArchivedCopy.Kind.IMAGE and (public := without_location(data)) is not None:
        public_name, public_digest = save_once("public", public, media_type)
    return ArchivedCopy.objects.create(
        post=post,
        kind=kind,
        original_url=original_url,
        captured_at=captured_at,
        captured_by=captured_by,
        file=name,
        size=len(data),
        media_type=media_type,
        sha256=digest,
        public_file=public_name,
        public_sha256=public_digest,
    )


def video_type(data):
    """video/mp4 or video/webm by the file's own first bytes, or None."""
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    return None
