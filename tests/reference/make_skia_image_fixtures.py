#!/usr/bin/python3
"""Writes the fixtures for the formats CrossModal.Imaging.Skia adds, under tests/reference/images/skia/.

Run from anywhere:  /usr/bin/python3 tests/reference/make_skia_image_fixtures.py
Needs Debian's python3-pil (Pillow 9.4, built with libwebp 1.2) and python3-numpy. The fixtures are committed;
tests never run Python. The expected pixels of a file F are in F.rgb.npy (uint8, H x W x 3).

What it writes (all cut from a committed COCO photograph, so the pixels look like real content)
  gif_p_83x61.gif             palette GIF (Pillow's adaptive palette); expectation: Image.open(f).convert('RGB').
  gif_anim_83x61.gif          a two-frame animated GIF; expectation: the first frame (what a still-image decoder reads).
  bmp_rgb_83x61.bmp           24-bit BMP (bottom-up rows, padded to 4 bytes).
  bmp_p_83x61.bmp             8-bit palette BMP.
  webp_lossless_83x61.webp    lossless WebP: every decoder must agree to the byte.
  webp_lossy_83x61.webp       lossy WebP at quality 80 (decoded by Pillow's libwebp; Skia bundles its own build).
  png_rgba_83x61.png          RGBA PNG with varied alpha; convert('RGB') drops the alpha.
  ico_2sizes.ico              an ICO written by Pillow with sizes 32 and 64; for this crop Pillow 9.4 stores a single
                              PNG-compressed 32 x 24 entry (a thumbnail keeping the aspect ratio).
  exif_<o>_64x40.jpg          a 4:4:4 quality-100 JPEG of a 64 x 40 pattern whose EXIF Orientation tag is o (1..8);
                              expectation: ImageOps.exif_transpose(image).convert('RGB') — the picture as a viewer shows
                              it (40 x 64 for o = 5..8). The pattern is strongly asymmetric, so a wrong rotation or
                              mirror differs by far more than two JPEG decoders do.
  exif_<o>_64x40.jpg.raw.npy  the same file decoded without orientation (Image.open(f).convert('RGB')), for the decoder
                              option that ignores the tag as Pillow's Image.open — and OpenAI's CLIP preprocessing — do.
"""
import io
import os

import numpy as np
from PIL import Image, ImageOps, features

assert Image.__version__.startswith("9.4"), f"expected Pillow 9.4, got {Image.__version__}"
assert features.check("webp"), "Pillow was built without WebP"

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "reference", "images", "skia")
PHOTO = os.path.join(ROOT, "data", "images", "coco_val2017_cc_by", "000000205401.jpg")


def save_npy(path, array):
    np.save(path, np.ascontiguousarray(array, dtype=np.uint8))


def write(name, data, expected):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data)
    save_npy(path + ".rgb.npy", expected)
    return path


def encoded(image, fmt, **kwargs):
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def decoded(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))

    photo = Image.open(PHOTO).convert("RGB")
    crop = photo.crop((300, 150, 383, 211))  # 83 x 61
    assert crop.size == (83, 61)

    palette = crop.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    data = encoded(palette, "GIF")
    write("gif_p_83x61.gif", data, decoded(data))

    second = ImageOps.invert(crop).quantize(colors=64)
    data = encoded(palette, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    first = decoded(data)
    assert np.array_equal(first, decoded(encoded(palette, "GIF"))), "the first frame should be the still GIF's pixels"
    write("gif_anim_83x61.gif", data, first)

    data = encoded(crop, "BMP")
    write("bmp_rgb_83x61.bmp", data, decoded(data))
    assert np.array_equal(decoded(data), np.asarray(crop)), "24-bit BMP is lossless"
    data = encoded(palette.convert("P"), "BMP")
    write("bmp_p_83x61.bmp", data, decoded(data))

    data = encoded(crop, "WEBP", lossless=True)
    assert np.array_equal(decoded(data), np.asarray(crop)), "lossless WebP must round-trip"
    write("webp_lossless_83x61.webp", data, decoded(data))
    data = encoded(crop, "WEBP", quality=80, method=4)
    write("webp_lossy_83x61.webp", data, decoded(data))

    rgba = crop.convert("RGBA")
    alpha = np.tile(np.linspace(0, 255, 83, dtype=np.uint8), (61, 1))
    rgba.putalpha(Image.fromarray(alpha, "L"))
    data = encoded(rgba, "PNG")
    write("png_rgba_83x61.png", data, decoded(data))

    data = encoded(crop, "ICO", sizes=[(32, 32), (64, 64)])
    write("ico_2sizes.ico", data, decoded(data))

    # An asymmetric 64 x 40 pattern: a bright block in the top-left corner, a gradient, a stripe near the right edge.
    y, x = np.mgrid[0:40, 0:64]
    pattern = np.zeros((40, 64, 3), dtype=np.uint8)
    pattern[..., 0] = (x * 4).clip(0, 255)
    pattern[..., 1] = (y * 6).clip(0, 255)
    pattern[..., 2] = 40
    pattern[:12, :20] = (250, 250, 250)
    pattern[:, 56:60] = (10, 200, 30)
    source = Image.fromarray(pattern, "RGB")
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        data = encoded(source, "JPEG", quality=100, subsampling=0, exif=exif.tobytes())
        image = Image.open(io.BytesIO(data))
        assert image.getexif().get(0x0112) == orientation
        shown = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
        path = write(f"exif_{orientation}_64x40.jpg", data, shown)
        save_npy(path + ".raw.npy", decoded(data))
        expected_shape = (40, 64, 3) if orientation <= 4 else (64, 40, 3)
        assert shown.shape == expected_shape, (orientation, shown.shape)

    print("wrote", len(os.listdir(OUT)), "files to", OUT)


if __name__ == "__main__":
    main()
