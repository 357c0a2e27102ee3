#!/usr/bin/env python3
"""Writes the .npy and safetensors fixtures the CrossModal.Tensors IO tests read.

Run from the repository root with `/usr/bin/python3 tests/reference/make_io_fixtures.py` (numpy only). Output goes to
tests/reference/fixtures/io/. Regenerate, never edit, the files there.

* name.npy            - written by numpy (np.save or numpy.lib.format.write_array for a given format version)
* name.expected.f32   - the values the reader must return: raw little-endian float32, C order, computed by numpy
                        (astype(np.float32) rounds float64 to nearest, widens float16/bfloat16 exactly)
* name.safetensors    - written byte by byte below, following huggingface/safetensors' Rust `serialize`
                        (safetensors/src/tensor.rs): u64 LE header length, compact JSON with "__metadata__" first and
                        tensors sorted by (dtype alignment descending, name) with keys dtype/shape/data_offsets,
                        padded with spaces to a multiple of 8 bytes, then the data in the same order. The Python
                        `safetensors` package is not installed on these machines, hence the hand-written bytes.
* name.safetensors.expected/<tensor>.f32 - expected float32 values per tensor (raw little-endian)
"""
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "io")


def path(name):
    return os.path.join(OUT, name)


def expected(name, values):
    np.ascontiguousarray(values, dtype="<f4").tofile(path(name + ".expected.f32"))


def ramp(shape, dtype):
    """Exactly representable in float16: k/4 - 3 for small k."""
    n = int(np.prod(shape)) if len(shape) else 1
    return (np.arange(n, dtype=np.float64) / 4.0 - 3.0).reshape(shape).astype(dtype)


# Interesting float16 bit patterns: zeros, smallest/largest subnormal, smallest normal, 1, max, infinities, NaNs.
F16_BITS = np.array([0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x3555, 0x7BFF, 0xFBFF,
                     0x7C00, 0xFC00, 0x7E00, 0xFE00, 0x7C01], dtype=np.uint16)

# bfloat16: zeros, smallest subnormal, 1, -2, pi rounded, max finite, infinities, quiet NaN, smallest normal.
BF16_BITS = np.array([0x0000, 0x8000, 0x0001, 0x3F80, 0xC000, 0x4049, 0x7F7F, 0x7F80, 0xFF80, 0x7FC0, 0x0080],
                     dtype=np.uint16)


def bf16_to_f32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16_bits(values):
    """Round-to-nearest-even float32 -> bfloat16, as torch does (finite inputs only here)."""
    u = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def npy_fixtures():
    # float32, every rank 0..4 and a zero-length dimension.
    for name, shape in [("f4_rank0", ()), ("f4_rank1", (5,)), ("f4_rank2", (2, 3)), ("f4_rank3", (2, 3, 4)),
                        ("f4_rank4", (1, 2, 3, 2)), ("f4_empty", (0, 3))]:
        a = ramp(shape, np.float32)
        np.save(path(name + ".npy"), a)
        expected(name, a)

    f16 = F16_BITS.view(np.float16).reshape(4, 4)
    np.save(path("f2_specials.npy"), f16)
    expected("f2_specials", f16.astype(np.float32))

    f8 = np.array([[0.1, -1e-40, 1e39, -1e39], [1.0 / 3.0, 2.5e-46, np.pi, -0.0]], dtype=np.float64)
    np.save(path("f8_values.npy"), f8)
    expected("f8_values", f8.astype(np.float32))

    big = ramp((3, 2), ">f4")
    np.save(path("f4_bigendian.npy"), big)
    expected("f4_bigendian", big)

    big16 = F16_BITS[:6].view(np.float16).astype(">f2")
    np.save(path("f2_bigendian.npy"), big16)
    expected("f2_bigendian", big16.astype(np.float32))

    for version in [(2, 0), (3, 0)]:
        name = "f4_v%d" % version[0]
        a = ramp((3, 4), np.float32)
        with open(path(name + ".npy"), "wb") as f:
            np.lib.format.write_array(f, a, version=version)
        expected(name, a)

    # Fortran order with a 1-d array is written with fortran_order False by numpy; force a real F-order 2-d array.
    np.save(path("reject_fortran.npy"), np.asfortranarray(ramp((3, 4), np.float32)))
    np.save(path("reject_object.npy"), np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.save(path("reject_int32.npy"), np.arange(6, dtype=np.int32))
    np.save(path("reject_structured.npy"), np.zeros(3, dtype=[("x", "<f4"), ("y", "<i4")]))

    # Golden files for the writer: float32 arrays written by np.save, compared byte for byte.
    for name, shape in [("golden_rank0", ()), ("golden_rank1", (7,)), ("golden_rank2", (3, 5)),
                        ("golden_rank3", (2, 1, 4)), ("golden_empty", (0, 4)), ("golden_wide", (1234567, 0))]:
        np.save(path(name + ".npy"), ramp(shape, np.float32))


DTYPE_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4}


def write_safetensors(name, tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw little-endian bytes)."""
    order = sorted(tensors, key=lambda t: (-DTYPE_SIZE[t[1]], t[0].encode("utf-8")))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for tname, dtype, shape, raw in order:
        assert len(raw) == DTYPE_SIZE[dtype] * int(np.prod(shape, dtype=np.int64))
        header[tname] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path(name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, raw in order:
            f.write(raw)


def safetensors_expected(name, tensor, values):
    folder = path(name + ".safetensors.expected")
    os.makedirs(folder, exist_ok=True)
    np.ascontiguousarray(values, dtype="<f4").tofile(os.path.join(folder, tensor + ".f32"))


def safetensors_fixtures():
    # Mixed dtypes, as a converted checkpoint might hold them.
    f32 = ramp((2, 3), np.float32)
    f16 = F16_BITS.view(np.float16).reshape(2, 8)
    bf16_bits = BF16_BITS
    bf16_round = f32_to_bf16_bits(np.array([1.0, 1.00390625, 1.01171875, -3.14159265, 65504.0], dtype=np.float32))
    f64 = np.array([0.1, 1e39, -2.5e-46, 1.0 / 3.0], dtype=np.float64)
    scalar = np.array(7.25, dtype=np.float32)
    tensors = [
        ("weight", "F32", (2, 3), f32.astype("<f4").tobytes()),
        ("half", "F16", (2, 8), f16.astype("<f2").tobytes()),
        ("brain", "BF16", (11,), bf16_bits.astype("<u2").tobytes()),
        ("brain_rounded", "BF16", (5,), bf16_round.astype("<u2").tobytes()),
        ("double", "F64", (4,), f64.astype("<f8").tobytes()),
        ("scalar", "F32", (), scalar.astype("<f4").tobytes()),
        ("empty", "F32", (0, 5), b""),
    ]
    write_safetensors("mixed", tensors, {"format": "pt", "note": "mixed dtypes"})
    safetensors_expected("mixed", "weight", f32)
    safetensors_expected("mixed", "half", f16.astype(np.float32))
    safetensors_expected("mixed", "brain", bf16_to_f32(bf16_bits))
    safetensors_expected("mixed", "brain_rounded", bf16_to_f32(bf16_round))
    safetensors_expected("mixed", "double", f64.astype(np.float32))
    safetensors_expected("mixed", "scalar", scalar)
    safetensors_expected("mixed", "empty", np.zeros((0, 5), np.float32))

    # An integer tensor next to a float one (like CLIP's position_ids): readable only through the lazy reader.
    write_safetensors("with_int64", [
        ("position_ids", "I64", (1, 4), np.arange(4, dtype="<i8").reshape(1, 4).tobytes()),
        ("weight", "F32", (2, 2), ramp((2, 2), "<f4").tobytes()),
    ])

    # Golden file for the F32 writer: names chosen so UTF-8 byte order matters, metadata with characters to escape.
    golden = [
        ("b.weight", "F32", (3, 2), ramp((3, 2), "<f4").tobytes()),
        ("a.bias", "F32", (3,), ramp((3,), "<f4").tobytes()),
        ("a.Z", "F32", (), np.array(1.5, "<f4").tobytes()),
        ("caf\u00e9", "F32", (1, 1, 2), ramp((1, 1, 2), "<f4").tobytes()),
        ("zero", "F32", (2, 0), b""),
    ]
    write_safetensors("golden_f32", golden, {"format": "pt", "quote\"back\\slash": "tab\tline\nend\u00e9"})


def main():
    os.makedirs(OUT, exist_ok=True)
    with np.errstate(over="ignore"):  # 1e39 -> inf in float32 on purpose
        npy_fixtures()
        safetensors_fixtures()


if __name__ == "__main__":
    main()
