"""Chart screenshots: decode, check, and re-encode from the pixels alone.

An upload is never stored as sent. Pillow decodes it (PNG, JPEG or WebP only), refuses anything larger than
MAX_PIXELS before decoding (a decompression bomb: a small file that inflates to gigabytes), and a new image is
built from the decoded pixels. That drops EXIF (GPS position, camera), PNG text chunks, ICC profiles, comments
and anything appended after the image (a script, a zip): the stored bytes are only what Pillow writes.
"""

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# PNG, JPEG and WebP as we write them again; the content type the serving view sends.
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
# 40 megapixels: a 5K screen's screenshot is 15; more is not a chart.
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = (480, 300)


class ImageRefused(Exception):
    """The upload is not an image we keep; the message says why, for the trader."""


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    thumbnail: bytes
    format: str  # PNG, JPEG or WEBP
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return FORMATS[self.format]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def _decode(data: bytes) -> tuple[Image.Image, str]:
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice it; a warning is a refusal here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            kind = image.format
            if kind not in FORMATS:
                raise ImageRefused("Only PNG, JPEG and WebP screenshots can be attached.")
            if image.width * image.height > MAX_PIXELS:
                raise ImageRefused(f"This image is {image.width}×{image.height} pixels; the limit is 40 megapixels.")
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRefused("This image is too large once decoded; the limit is 40 megapixels.") from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
            raise ImageRefused("This file is not a PNG, JPEG or WebP image (or it is damaged).") from exc
    return image, kind


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image holding the pixels and nothing else (its `info` is empty: no EXIF, text, profile)."""
    image = ImageOps.exif_transpose(image)  # a phone's rotation, applied before its EXIF is dropped
    mode = "RGBA" if image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info else "RGB"
    converted = image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encode(image: Image.Image, kind: str, *, quality: int = 90) -> bytes:
    # Pillow's default effort: PNG's optimize and WebP's slower methods cost seconds on a 1440p screenshot for a
    # few per cent of bytes.
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=quality)
    elif kind == "WEBP":
        image.save(out, "WEBP", quality=quality, method=2)
    else:
        image.save(out, "PNG")
    return out.getvalue()


def clean_image(data: bytes) -> CleanImage:
    """The upload re-encoded in its own format (the first frame of an animation), with a WebP thumbnail."""
    image, kind = _decode(data)
    pixels = _pixels_only(image)
    thumbnail = pixels.copy()
    thumbnail.thumbnail(THUMBNAIL_SIZE)
    return CleanImage(
        content=_encode(pixels, kind),
        thumbnail=_encode(thumbnail, "WEBP", quality=80),
        format=kind,
        width=pixels.width,
        height=pixels.height,
    )
