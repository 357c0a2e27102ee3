using System;
using System.Runtime.Intrinsics;

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
                // The common case of the AVX2 kernel: six row streams interleaved (six sequential reads the
                // hardware prefetchers follow, one contiguous write).
                float* s0 = a + (i * lda), s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda;
                for (var p = 0; p < kc; p++, d += 6)
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
}
