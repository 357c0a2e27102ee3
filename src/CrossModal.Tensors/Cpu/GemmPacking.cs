using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CrossModal.Tensors.Cpu;

/// <summary>
/// Packing of GEMM operands into the contiguous slivers the microkernels stream (Goto &amp; van de Geijn 2008, §4).
/// Transposes are absorbed here, and edges are zero-padded to whole Mr or Nr slivers so the microkernels never
/// branch: a padded row or column contributes exact zeros to accumulators whose results are then discarded.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs an mc×kc block of op(A) into ⌈mc/mr⌉ slivers of (kc, mr) floats each.</summary>
    /// <param name="destination">Packed block: sliver s holds rows s·mr… at <c>destination + s·kc·mr</c>, column p at offset p·mr.</param>
    /// <param name="a">op(A)[i0, p0] as stored: element (i, p) is <c>a[i·lda + p]</c>, or <c>a[p·lda + i]</c> when <paramref name="transpose"/>.</param>
    /// <param name="lda">Row stride of A as stored.</param>
    /// <param name="transpose">A is stored (K, M).</param>
    /// <param name="mc">Rows to pack.</param>
    /// <param name="kc">Depth to pack.</param>
    /// <param name="mr">Sliver height (the microkernel's Mr).</param>
    public static void PackA(float* destination, float* a, nint lda, bool transpose, int mc, int kc, int mr)
    {
        for (var i = 0; i < mc; i += mr)
        {
            var rows = Math.Min(mr, mc - i);
            var d = destination;
            if (transpose)
            {
                // Column p of the sliver is contiguous in a stored (K, M) A: a straight copy per p.
                var s = a + i;
                for (var p = 0; p < kc; p++, s += lda, d += mr)
                {
                    var r = 0;
                    for (; r < rows; r++)
                    {
                        d[r] = s[r];
                    }

                    for (; r < mr; r++)
                    {
                        d[r] = 0f;
                    }
                }
            }
            else if (rows == mr && mr == 6)
            {
                // The common case of the AVX2 kernel: six row streams interleaved, 8 columns at a time by an
                // in-register transpose, the rest one by one.
                float* s0 = a + (i * lda), s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda;
                var p = 0;
                if (Avx.IsSupported)
                {
                    for (; p + 8 <= kc; p += 8, d += 48)
                    {
                        Transpose8x8(s0 + p, lda, d, 6, rows: 6);
                    }
                }

                for (; p < kc; p++, d += 6)
                {
                    d[0] = s0[p];
                    d[1] = s1[p];
                    d[2] = s2[p];
                    d[3] = s3[p];
                    d[4] = s4[p];
                    d[5] = s5[p];
                }
            }
            else
            {
                for (var r = 0; r < mr; r++)
                {
                    var dr = d + r;
                    if (r < rows)
                    {
                        var s = a + ((i + r) * lda);
                        for (var p = 0; p < kc; p++)
                        {
                            dr[p * mr] = s[p];
                        }
                    }
                    else
                    {
                        for (var p = 0; p < kc; p++)
                        {
                            dr[p * mr] = 0f;
                        }
                    }
                }
            }

            destination += kc * mr;
        }
    }

    /// <summary>Packs slivers [<paramref name="firstSliver"/>, <paramref name="endSliver"/>) of a kc×nc block of op(B), each (kc, nr) floats.</summary>
    /// <param name="destination">Packed block: sliver q holds columns q·nr… at <c>destination + q·kc·nr</c>, row p at offset p·nr.</param>
    /// <param name="b">op(B)[p0, j0] as stored: element (p, j) is <c>b[p·ldb + j]</c>, or <c>b[j·ldb + p]</c> when <paramref name="transpose"/>.</param>
    /// <param name="ldb">Row stride of B as stored.</param>
    /// <param name="transpose">B is stored (N, K).</param>
    /// <param name="kc">Depth to pack.</param>
    /// <param name="nc">Columns in the whole block.</param>
    /// <param name="nr">Sliver width (the microkernel's Nr, a multiple of 8).</param>
    /// <param name="firstSliver">First sliver this call packs.</param>
    /// <param name="endSliver">One past the last sliver this call packs.</param>
    public static void PackB(float* destination, float* b, nint ldb, bool transpose, int kc, int nc, int nr, int firstSliver, int endSliver)
    {
        for (var q = firstSliver; q < endSliver; q++)
        {
            var j = q * nr;
            var cols = Math.Min(nr, nc - j);
            var d = destination + ((nint)q * kc * nr);
            if (!transpose)
            {
                var s = b + j;
                if (cols == nr)
                {
                    for (var p = 0; p < kc; p++, s += ldb, d += nr)
                    {
                        for (var c = 0; c < nr; c += 8)
                        {
                            Vector256.Store(Vector256.Load(s + c), d + c);
                        }
                    }
                }
                else
                {
                    for (var p = 0; p < kc; p++, s += ldb, d += nr)
                    {
                        var c = 0;
                        for (; c < cols; c++)
                        {
                            d[c] = s[c];
                        }

                        for (; c < nr; c++)
                        {
                            d[c] = 0f;
                        }
                    }
                }
            }
            else if (cols == nr && Avx.IsSupported)
            {
                // B stored (N, K): 8×8 blocks transposed in registers; the depth remainder one by one.
                var kc8 = kc & ~7;
                for (var c0 = 0; c0 < nr; c0 += 8)
                {
                    var s = b + ((j + c0) * ldb);
                    for (var p = 0; p < kc8; p += 8)
                    {
                        Transpose8x8(s + p, ldb, d + (p * nr) + c0, nr, rows: 8);
                    }

                    for (var c = c0; c < c0 + 8; c++)
                    {
                        var sc = b + ((j + c) * ldb);
                        for (var p = kc8; p < kc; p++)
                        {
                            d[(p * nr) + c] = sc[p];
                        }
                    }
                }
            }
            else
            {
                // B stored (N, K): column j of op(B) is a contiguous row; scatter it down the sliver.
                for (var c = 0; c < nr; c++)
                {
                    var dc = d + c;
                    if (c < cols)
                    {
                        var s = b + ((j + c) * ldb);
                        for (var p = 0; p < kc; p++)
                        {
                            dc[p * nr] = s[p];
                        }
                    }
                    else
                    {
                        for (var p = 0; p < kc; p++)
                        {
                            dc[p * nr] = 0f;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Transposes an 8-column block of <paramref name="rows"/> (6 or 8) source rows into 8 destination rows:
    /// <c>destination[c·ldd + r] = source[r·lds + c]</c> (the usual unpack/shuffle/permute sequence of AVX). With 6
    /// rows each destination row is written 8 wide, lanes 6 and 7 as zeros: the caller writes rows in increasing
    /// order so the next row overwrites them, and leaves 2 floats of slack after the last.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* source, nint lds, float* destination, nint ldd, int rows)
    {
        var r0 = Avx.LoadVector256(source);
        var r1 = Avx.LoadVector256(source + lds);
        var r2 = Avx.LoadVector256(source + (2 * lds));
        var r3 = Avx.LoadVector256(source + (3 * lds));
        var r4 = Avx.LoadVector256(source + (4 * lds));
        var r5 = Avx.LoadVector256(source + (5 * lds));
        var r6 = rows == 8 ? Avx.LoadVector256(source + (6 * lds)) : Vector256<float>.Zero;
        var r7 = rows == 8 ? Avx.LoadVector256(source + (7 * lds)) : Vector256<float>.Zero;

        // [a0 b0 a1 b1 | a4 b4 a5 b5], [a2 b2 a3 b3 | a6 b6 a7 b7], …
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);

        // [a0 b0 c0 d0 | a4 b4 c4 d4], [a1 b1 c1 d1 | a5 b5 c5 d5], …
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(destination, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(destination + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(destination + (2 * ldd), Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(destination + (3 * ldd), Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(destination + (4 * ldd), Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(destination + (5 * ldd), Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(destination + (6 * ldd), Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(destination + (7 * ldd), Avx.Permute2x128(u3, u7, 0x31));
    }
}
