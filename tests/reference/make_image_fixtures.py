#!/usr/bin/python3
"""Writes the image-decoding and CLIP-preprocessing reference fixtures under tests/reference/images/.

Run from anywhere:  /usr/bin/python3 tests/reference/make_image_fixtures.py
Needs Debian's python3-pil (Pillow 9.4) and python3-numpy. The fixtures are committed; tests never run Python.

What it writes (the expected pixels of a file F are always in F.rgb.npy)
  png/*.png, png/*.rgb.npy   PNGs in every colour type / bit depth the spec allows, plain and Adam7-interlaced,
                             every row filter, several IDAT chunks, tRNS, ancillary chunks -- written by the small
                             encoder below (Pillow cannot write Adam7 or most bit depths) -- and a few written by
                             Pillow itself. The .rgb.npy is Pillow's Image.open(f).convert('RGB') (uint8, H x W x 3),
                             except for 16-bit greyscale where Pillow clips the 16-bit value into 0..255 instead of
                             scaling it; there the expectation is the high byte (what libpng's png_set_strip_16 does
                             and what Pillow itself does for every other 16-bit colour type). The script asserts that
                             Pillow's decoding agrees with the samples it encoded, so the files themselves are proven.
  pnm/*.pgm|ppm, *.rgb.npy   P5/P6 with maxval <= 255 and > 255 and header comments; expectations from Pillow's
                             PpmDecoder formula min(255, round(v / maxval * 255)) (applied by Pillow for P6; for
                             16-bit P5 Pillow again clips, so the same formula is used and checked through a P6).
  jpeg/*.jpg, *.rgb.npy      small JPEGs written by Pillow (4:4:4, 4:2:2, 4:2:0, progressive, greyscale,
                             optimised Huffman tables, CMYK) from a crop of a committed photograph, with Pillow's decoding.
  photos/<id>.rgb.npy.gz     Pillow's RGB decoding of four of the committed COCO photographs in data/images/.
  photos/<id>.crop224.npy.gz CLIP's preprocessing up to the tensor: Resize(224, BICUBIC) + CenterCrop(224) + RGB,
                             as uint8 H x W x 3 (torchvision's code for a PIL image, reproduced below).
  photos/<id>.norm224.npy.gz the same after ToTensor + Normalize(CLIP mean, std): float32 3 x 224 x 224 (one photo).
  photos/<id>.crop32.npy     as crop224 with size 32 (large downscale factor; the ShapesWorld CLIP's size).
  photos/upscale.*           a 150 x 97 crop (source pixels as .src.npy.gz) preprocessed to 224: an upscale;
  photos/short224.*          a 261 x 224 crop: shorter side already 224, so only the centre crop applies.
  (.npy.gz: a NumPy .npy file compressed with gzip.)
"""
import gzip
import io
import os
import shutil
import struct
import zlib

import numpy as np
from PIL import Image

assert Image.__version__.startswith("9.4"), f"expected Pillow 9.4, got {Image.__version__}"

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "reference", "images")
PHOTOS = os.path.join(ROOT, "data", "images", "coco_val2017_cc_by")
PHOTO_IDS = ["000000431848", "000000161044", "000000205401", "000000290843", "000000165518", "000000434204"]
NORM_IDS = ["000000161044"]
DECODE_IDS = ["000000431848", "000000161044", "000000205401", "000000434204"]  # Pillow's decodes, for tests that
# must run without libturbojpeg; the other two photographs are preprocessed from the C# JPEG decoder's output.  # float fixtures are large; two suffice (the uint8 ones cover all)
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)

rng = np.random.default_rng(20261123)


def save_npy(path, array, compress=False):
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array))
    data = buf.getvalue()
    if compress:
        data = gzip.compress(data, compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        f.write(data)


def pil_rgb(data):
    return np.array(Image.open(io.BytesIO(data)).convert("RGB"))


# ---------------------------------------------------------------------------------------------------------------- PNG
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """samples: 1-D array of ints < 2**depth; returns the packed scanline bytes (MSB first, PNG spec 7.2)."""
    if depth == 16:
        return samples.astype(">u2").tobytes()
    if depth == 8:
        return samples.astype(np.uint8).tobytes()
    per = 8 // depth
    padded = np.zeros(-(-len(samples) // per) * per, dtype=np.int64)
    padded[: len(samples)] = samples
    padded = padded.reshape(-1, per)
    out = np.zeros(len(padded), dtype=np.int64)
    for i in range(per):
        out |= padded[:, i] << (8 - depth * (i + 1))
    return out.astype(np.uint8).tobytes()


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind, row, prev, bpp):
    out = bytearray([kind])
    for i in range(len(row)):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((row[i] - predictor) & 0xFF)
    return bytes(out)


def encode_png(samples, ctype, depth, interlace, palette=None, trns=None, idat_size=None, extra=(), filters=None):
    """samples: (H, W, channels) ints. Every row gets filter (row number mod 5) unless `filters` is given."""
    h, w, _ = samples.shape
    bpp = max(1, CHANNELS[ctype] * depth // 8)
    raw = bytearray()
    n = 0
    for x0, y0, dx, dy in ADAM7 if interlace else [(0, 0, 1, 1)]:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        prev = None
        for r in range(sub.shape[0]):
            row = pack_row(sub[r].reshape(-1), depth)
            prev = prev if prev is not None else bytes(len(row))
            kind = filters[n % len(filters)] if filters else n % 5
            n += 1
            raw += filter_row(kind, row, prev, bpp)
            prev = row
    z = zlib.compress(bytes(raw), 9)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace))
    for kind, data in extra:
        out += png_chunk(kind, data)
    if palette is not None:
        out += png_chunk(b"PLTE", bytes(palette.astype(np.uint8).reshape(-1)))
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    step = idat_size or len(z)
    for i in range(0, len(z), step):
        out += png_chunk(b"IDAT", z[i : i + step])
    return out + png_chunk(b"IEND", b"")


def expected_rgb(samples, ctype, depth, palette=None):
    """The RGB24 image the C# decoder must produce, computed from the samples (alpha and tRNS ignored)."""
    s = samples.astype(np.int64)
    if ctype == 3:
        return palette[s[:, :, 0]].astype(np.uint8)
    if depth == 16:
        s = s >> 8
    elif depth < 8:
        s = s * (255 // (2**depth - 1))
    if ctype in (0, 4):
        return np.repeat(s[:, :, :1], 3, axis=2).astype(np.uint8)
    return s[:, :, :3].astype(np.uint8)


def write_png_case(name, data, expected):
    with open(os.path.join(OUT, "png", name + ".png"), "wb") as f:
        f.write(data)
    save_npy(os.path.join(OUT, "png", name + ".png.rgb.npy"), expected)


def make_pngs():
    os.makedirs(os.path.join(OUT, "png"), exist_ok=True)
    allowed = {0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]}
    sizes = [(13, 7), (33, 17), (1, 1), (9, 9), (17, 1), (1, 17)]
    count = 0
    for ctype, depths in allowed.items():
        for depth in depths:
            for interlace in (0, 1):
                w, h = sizes[count % len(sizes)] if count % 3 else (37, 23)
                count += 1
                palette = None
                if ctype == 3:
                    entries = min(2**depth, 200)
                    palette = rng.integers(0, 256, size=(entries, 3))
                    samples = rng.integers(0, entries, size=(h, w, 1))
                else:
                    samples = rng.integers(0, 2**depth, size=(h, w, CHANNELS[ctype]))
                    # a smooth ramp in the top-left corner so Sub/Up/Average/Paeth see correlated neighbours too
                    samples[: h // 2, : w // 2] = (np.arange(w // 2)[None, :, None] * (2**depth - 1) // max(1, w))
                data = encode_png(samples, ctype, depth, interlace, palette=palette,
                                  idat_size=37 if interlace else None)
                exp = expected_rgb(samples, ctype, depth, palette)
                pil = Image.open(io.BytesIO(data))
                if ctype == 0 and depth == 16:
                    # Pillow opens this as mode "I"; its raw values prove the file, but convert('RGB') clips them.
                    assert np.array_equal(np.array(pil)[:, :], samples[:, :, 0]), "16-bit grey samples"
                else:
                    assert np.array_equal(pil_rgb(data), exp), f"Pillow disagrees on type {ctype} depth {depth}"
                write_png_case(f"t{ctype}_d{depth}{'_adam7' if interlace else ''}_{w}x{h}", data, exp)

    # tRNS on every colour type that allows it: the decoder ignores transparency, as convert('RGB') does.
    samples = rng.integers(0, 256, size=(11, 6, 1))
    data = encode_png(samples, 0, 8, 0, trns=struct.pack(">H", int(samples[0, 0, 0])))
    assert np.array_equal(pil_rgb(data), expected_rgb(samples, 0, 8))
    write_png_case("t0_d8_trns_6x11", data, expected_rgb(samples, 0, 8))
    samples = rng.integers(0, 65536, size=(5, 7, 3))
    data = encode_png(samples, 2, 16, 1, trns=struct.pack(">HHH", *[int(v) for v in samples[1, 1]]))
    assert np.array_equal(pil_rgb(data), expected_rgb(samples, 2, 16))
    write_png_case("t2_d16_adam7_trns_7x5", data, expected_rgb(samples, 2, 16))
    palette = rng.integers(0, 256, size=(16, 3))
    samples = rng.integers(0, 16, size=(10, 10, 1))
    data = encode_png(samples, 3, 4, 0, palette=palette, trns=bytes(rng.integers(0, 256, size=9).astype(np.uint8)))
    assert np.array_equal(pil_rgb(data), expected_rgb(samples, 3, 4, palette))
    write_png_case("t3_d4_trns_10x10", data, expected_rgb(samples, 3, 4, palette))

    # Indices past the end of PLTE: the spec calls this an error; libpng and Pillow decode it anyway. Pillow's palette
    # starts as a grey ramp, so index i without an entry is (i, i, i); the decoder does the same.
    palette = rng.integers(0, 256, size=(5, 3))
    samples = rng.integers(0, 256, size=(3, 8, 1))
    data = encode_png(samples, 3, 8, 0, palette=palette)
    ramp = np.repeat(np.arange(256)[:, None], 3, axis=1)
    ramp[:5] = palette
    assert np.array_equal(pil_rgb(data), expected_rgb(samples, 3, 8, ramp))
    write_png_case("t3_d8_short_plte_8x3", data, expected_rgb(samples, 3, 8, ramp))

    # One filter type for the whole image (each filter alone, including on the first row), ancillary chunks before
    # PLTE/IDAT, one IDAT per few bytes, and a suggested palette (sPLT-like PLTE) on an RGB image.
    for kind in range(5):
        samples = rng.integers(0, 256, size=(9, 14, 3))
        data = encode_png(samples, 2, 8, kind % 2, filters=[kind], idat_size=5,
                          extra=[(b"gAMA", struct.pack(">I", 45455)), (b"tEXt", b"Comment\x00filter test")])
        assert np.array_equal(pil_rgb(data), expected_rgb(samples, 2, 8))
        write_png_case(f"t2_d8_filter{kind}_14x9", data, expected_rgb(samples, 2, 8))
    samples = rng.integers(0, 256, size=(4, 4, 4))
    data = encode_png(samples, 6, 8, 0, palette=rng.integers(0, 256, size=(3, 3)))
    assert np.array_equal(pil_rgb(data), expected_rgb(samples, 6, 8))
    write_png_case("t6_d8_plte_4x4", data, expected_rgb(samples, 6, 8))

    # PNGs written by Pillow's own encoder (zlib with its own filter choices) from a photograph crop.
    photo = Image.open(os.path.join(PHOTOS, "000000161044.jpg")).convert("RGB").crop((100, 40, 183, 101))
    for mode in ("RGB", "L", "RGBA", "P"):
        img = photo.convert(mode) if mode != "P" else photo.quantize(64)
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=True)
        data = buf.getvalue()
        write_png_case(f"pillow_{mode.lower()}_83x61", data, pil_rgb(data))


# ---------------------------------------------------------------------------------------------------------------- PNM
def pnm_expected(values, maxval):
    """Pillow 9.4 PpmDecoder: min(255, round(v / maxval * 255)) with Python's round-half-even."""
    table = np.array([min(255, round(v / maxval * 255)) for v in range(65536)], dtype=np.uint8)
    return table[values]


def make_pnms():
    os.makedirs(os.path.join(OUT, "pnm"), exist_ok=True)
    cases = [
        ("P6", 255, b"P6\n# written by make_image_fixtures.py\n13 7\n255\n"),
        ("P6", 31, b"P6 13 7 31\n"),
        ("P6", 4095, b"P6\t13\r\n#c1\n#c2\n7 4095\n"),
        ("P6", 65535, b"P6\n13 7\n# comment before maxval\n65535\n"),
        ("P5", 255, b"P5\n# grey\n13 7\n255\n"),
        ("P5", 100, b"P5 13 7 100\n"),
        ("P5", 1000, b"P5\n13 7\n1000\n"),
        ("P5", 65535, b"P5 13 # comment between width and height\n 7 65535\n"),
    ]
    for magic, maxval, header in cases:
        channels = 3 if magic == "P6" else 1
        values = rng.integers(0, maxval + 1, size=(7, 13, channels))
        values[0, :3] = maxval  # the extremes are always present
        values[0, 3:6] = 0
        body = values.astype(">u2" if maxval > 255 else np.uint8).tobytes()
        data = header + body
        exp = pnm_expected(values, maxval)
        exp = np.repeat(exp, 3, axis=2) if channels == 1 else exp
        if magic == "P6" or maxval <= 255:
            assert np.array_equal(pil_rgb(data), exp), f"Pillow disagrees on {magic} maxval {maxval}"
        else:
            # Pillow clips 16-bit PGM into 0..255 (mode I -> RGB); check the formula through the equivalent P6.
            as_p6 = b"P6 13 7 %d\n" % maxval + np.repeat(values, 3, axis=2).astype(">u2").tobytes()
            assert np.array_equal(pil_rgb(as_p6), exp)
        name = f"{magic.lower()}_max{maxval}_13x7.{'ppm' if magic == 'P6' else 'pgm'}"
        with open(os.path.join(OUT, "pnm", name), "wb") as f:
            f.write(data)
        save_npy(os.path.join(OUT, "pnm", name + ".rgb.npy"), exp)


# --------------------------------------------------------------------------------------------------------------- JPEG
def make_jpegs():
    os.makedirs(os.path.join(OUT, "jpeg"), exist_ok=True)
    photo = Image.open(os.path.join(PHOTOS, "000000205401.jpg")).convert("RGB").crop((200, 100, 297, 171))  # 97 x 71
    variants = {
        "q90_444": dict(quality=90, subsampling=0),
        "q75_422": dict(quality=75, subsampling=1),
        "q50_420": dict(quality=50, subsampling=2),
        "progressive_420": dict(quality=85, subsampling=2, progressive=True),
        "optimized_420": dict(quality=80, subsampling=2, optimize=True),  # per-image Huffman tables
    }
    for name, options in variants.items():
        buf = io.BytesIO()
        photo.save(buf, "JPEG", **options)
        write_jpeg(name + "_97x71", buf.getvalue())
    buf = io.BytesIO()
    photo.convert("L").save(buf, "JPEG", quality=85)
    write_jpeg("grey_97x71", buf.getvalue())
    buf = io.BytesIO()
    photo.convert("CMYK").save(buf, "JPEG", quality=85)
    with open(os.path.join(OUT, "jpeg", "cmyk_97x71.jpg"), "wb") as f:  # unsupported: the decoder must say so
        f.write(buf.getvalue())


def write_jpeg(name, data):
    with open(os.path.join(OUT, "jpeg", name + ".jpg"), "wb") as f:
        f.write(data)
    save_npy(os.path.join(OUT, "jpeg", name + ".jpg.rgb.npy"), pil_rgb(data))


# ---------------------------------------------------------------------------------------------------- preprocessing
def clip_resize_crop(img, n):
    """CLIP's _transform up to ToTensor: torchvision Resize(n, BICUBIC), CenterCrop(n), convert('RGB').

    torchvision.transforms.functional_pil.resize (0.8-0.14) for an int size on a PIL image: the shorter side becomes n,
    the longer int(n * long / short); nothing happens when the shorter side is already n. center_crop takes
    top = int(round((H - n) / 2.0)), left likewise (Python's round: half to even)."""
    w, h = img.size
    if (w <= h and w == n) or (h <= w and h == n):
        resized = img
    elif w < h:
        resized = img.resize((n, int(n * h / w)), Image.BICUBIC)
    else:
        resized = img.resize((int(n * w / h), n), Image.BICUBIC)
    rw, rh = resized.size
    top = int(round((rh - n) / 2.0))
    left = int(round((rw - n) / 2.0))
    return np.array(resized.crop((left, top, left + n, top + n)).convert("RGB"))


def normalise(crop):
    """torchvision ToTensor (uint8 -> float32 / 255, HWC -> CHW) then Normalize (x - mean) / std, all in float32."""
    x = crop.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    return ((x - CLIP_MEAN[:, None, None]) / CLIP_STD[:, None, None]).astype(np.float32)


def make_photos():
    os.makedirs(os.path.join(OUT, "photos"), exist_ok=True)
    for pid in PHOTO_IDS:
        img = Image.open(os.path.join(PHOTOS, pid + ".jpg"))
        img.load()
        if pid in DECODE_IDS:
            save_npy(os.path.join(OUT, "photos", pid + ".rgb.npy.gz"), np.array(img.convert("RGB")), compress=True)
        crop = clip_resize_crop(img, 224)
        save_npy(os.path.join(OUT, "photos", pid + ".crop224.npy.gz"), crop, compress=True)
        save_npy(os.path.join(OUT, "photos", pid + ".crop32.npy"), clip_resize_crop(img, 32))
        if pid in NORM_IDS:
            save_npy(os.path.join(OUT, "photos", pid + ".norm224.npy.gz"), normalise(crop), compress=True)
    # An upscale (short side 97 < 224) and an image whose short side is already 224 (no resize at all).
    src = np.array(Image.open(os.path.join(PHOTOS, "000000290843.jpg")).convert("RGB"))[300:397, 100:250]
    save_npy(os.path.join(OUT, "photos", "upscale.src.npy.gz"), src, compress=True)
    save_npy(os.path.join(OUT, "photos", "upscale.crop224.npy.gz"), clip_resize_crop(Image.fromarray(src), 224), True)
    src = np.array(Image.open(os.path.join(PHOTOS, "000000434204.jpg")).convert("RGB"))[50:274, 20:281]
    save_npy(os.path.join(OUT, "photos", "short224.src.npy.gz"), src, compress=True)
    save_npy(os.path.join(OUT, "photos", "short224.crop224.npy.gz"), clip_resize_crop(Image.fromarray(src), 224), True)


if __name__ == "__main__":
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    make_pngs()
    make_pnms()
    make_jpegs()
    make_photos()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {sum(len(fs) for _, _, fs in os.walk(OUT))} files, {total / 1e6:.2f} MB, under {OUT}")
