import io

import pytest
from PIL import Image

from apps.journal.images import THUMBNAIL_SIZE, ImageRefused, clean_image

from .images import SCRIPT, jpeg, png, webp


def test_a_png_is_kept_as_a_png_of_the_same_size():
    image = clean_image(png((800, 500)))

    assert (image.format, image.width, image.height, image.content_type) == ("PNG", 800, 500, "image/png")
    assert Image.open(io.BytesIO(image.content)).format == "PNG"


def test_a_script_in_a_png_text_chunk_is_not_in_the_stored_bytes():
    original = png(text=SCRIPT)
    assert SCRIPT in original

    image = clean_image(original)

    assert SCRIPT not in image.content
    assert b"tEXt" not in image.content


def test_a_script_appended_after_the_image_is_not_in_the_stored_bytes():
    image = clean_image(png(appended=SCRIPT))

    assert SCRIPT not in image.content


def test_a_jpegs_exif_with_its_location_and_description_is_dropped():
    original = jpeg(description=SCRIPT)
    assert SCRIPT in original and b"Pixel 9" in original

    image = clean_image(original)

    assert SCRIPT not in image.content and b"Pixel 9" not in image.content
    assert b"Exif" not in image.content
    assert not Image.open(io.BytesIO(image.content)).getexif()


def test_a_webp_stays_a_webp():
    assert clean_image(webp()).format == "WEBP"


def test_the_thumbnail_is_a_webp_that_fits_its_box():
    image = clean_image(png((3000, 1000)))

    thumbnail = Image.open(io.BytesIO(image.thumbnail))
    assert thumbnail.format == "WEBP"
    assert thumbnail.width <= THUMBNAIL_SIZE[0] and thumbnail.height <= THUMBNAIL_SIZE[1]


def test_a_text_file_is_refused():
    with pytest.raises(ImageRefused, match="not a PNG, JPEG or WebP"):
        clean_image(b"<html><script>alert(1)</script></html>")


def test_a_gif_is_refused():
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")

    with pytest.raises(ImageRefused, match="Only PNG, JPEG and WebP"):
        clean_image(out.getvalue())


def test_a_truncated_png_is_refused():
    with pytest.raises(ImageRefused, match="damaged"):
        clean_image(png()[:200])


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    # 7,000 × 6,000 black-and-white pixels: a few kilobytes of PNG, 42 megapixels once decoded.
    out = io.BytesIO()
    Image.new("1", (7000, 6000)).save(out, "PNG")
    assert len(out.getvalue()) < 100_000

    with pytest.raises(ImageRefused, match="40 megapixels"):
        clean_image(out.getvalue())
