"""Images made in memory for the tests: plain ones, and ones carrying a script where a viewer might run it."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

SCRIPT = b"<script>alert(document.cookie)</script>"


def png(size: tuple[int, int] = (800, 500), *, text: bytes = b"", appended: bytes = b"") -> bytes:
    """A PNG chart; `text` goes into a tEXt chunk, `appended` after the image's end."""
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text.decode())
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue() + appended


def jpeg(size: tuple[int, int] = (800, 500), *, description: bytes = b"") -> bytes:
    """A JPEG with EXIF: a camera model, a GPS block and `description` as its ImageDescription."""
    image = Image.new("RGB", size, (200, 60, 60))
    exif = image.getexif()
    exif[0x0110] = "Pixel 9"  # Model
    if description:
        exif[0x010E] = description.decode()  # ImageDescription
    exif.get_ifd(0x8825)[2] = (40.0, 44.0, 54.0)  # GPSLatitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def webp(size: tuple[int, int] = (800, 500)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 0, 128)).save(out, "WEBP")
    return out.getvalue()


def upload(content: bytes, name: str = "chart.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
