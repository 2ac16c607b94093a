"""What an attachment carries besides what it shows, taken off before it leaves.

A photo's EXIF block can hold where and when it was taken (GPS), the camera and its owner; a PDF's
document information and XMP metadata name its author and the software, and earlier revisions of
a file can survive inside it. A released attachment is rebuilt from its content alone: the image
re-encoded from its pixels (turned upright first, as its EXIF orientation said), the PDF rewritten
without its information dictionary, its XMP metadata or its past revisions.

Whether an attachment can be searched for names is known here too: a picture cannot, nor a PDF
whose pages have no text (a scan). The third-party search reads text only, so such an attachment
is marked for the reviewer to read.
"""

from __future__ import annotations

import io

IMAGE_TYPES = ("image/jpeg", "image/png")


class UnreadableAttachment(Exception):
    """An attachment that cannot be rebuilt from its content; the message is safe to show."""


def without_metadata(content: bytes, content_type: str) -> bytes:
    """The attachment as it is released: its content, nothing else."""
    if content_type in IMAGE_TYPES:
        return _clean_image(content, content_type)
    if content_type == "application/pdf":
        return _clean_pdf(content)
    return content


def _clean_image(content: bytes, content_type: str) -> bytes:
    # Pillow loads only where a file is released.
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        original = Image.open(io.BytesIO(content))
        original.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise UnreadableAttachment(
            "A picture attached to a record cannot be read as an image: withhold it, or attach "
            "a readable copy to the record and compile again."
        ) from exc
    with original:
        upright = ImageOps.exif_transpose(original)
        # A new image from the pixels alone: no EXIF, no text chunks, no comments.
        clean = Image.new(upright.mode, upright.size)
        clean.paste(upright)
        out = io.BytesIO()
        if content_type == "image/jpeg":
            clean.convert("RGB").save(out, format="JPEG", quality=90)
        else:
            clean.save(out, format="PNG")
    return out.getvalue()


def _clean_pdf(content: bytes) -> bytes:
    # qpdf loads only where a file is released.
    import pikepdf

    with pikepdf.open(io.BytesIO(content)) as pdf:
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        if "/Metadata" in pdf.Root:
            del pdf.Root["/Metadata"]
        for page in pdf.pages:
            if "/PieceInfo" in page.obj:
                del page.obj["/PieceInfo"]
        out = io.BytesIO()
        # Written whole: earlier revisions (incremental updates) are not carried over.
        pdf.save(out, linearize=False, fix_metadata_version=False)
    return out.getvalue()


def searchable(content: bytes, content_type: str) -> bool:
    """Whether the attachment has text the third-party search can read."""
    if content_type != "application/pdf":
        return False
    # qpdf loads only where a file is compiled.
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(content)) as pdf:
            for page in pdf.pages:
                resources = page.obj.get("/Resources")
                if resources is not None and "/Font" in resources:
                    return True
    except pikepdf.PdfError:
        return False
    return False
