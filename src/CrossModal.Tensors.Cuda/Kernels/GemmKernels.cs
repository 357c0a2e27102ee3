using ILGPU;

namespace CrossModal.Tensors.Cuda.Kernels;

/// <summary>Shape and scalars of one (batched) row-major GEMM <c>C = α·op(A)·op(B) + β·C</c>.</summary>
internal readonly struct GemmShape
{
    public GemmShape(bool transposeA, bool transposeB, int m, int n, int k, float alpha, int lda, long strideA, int ldb, long strideB, float beta, int ldc, long strideC)
    {
        TransposeA = transposeA ? 1 : 0;
        TransposeB = transposeB ? 1 : 0;
        M = m;
        N = n;
        K = k;
        Alpha = alpha;
        Lda = lda;
        StrideA = strideA;
        Ldb = ldb;
        StrideB = strideB;
        Beta = beta;
        Ldc = ldc;
        StrideC = strideC;
    }

    public int TransposeA { get; }

    public int TransposeB { get; }

    public int M { get; }

    public int N { get; }

    public int K { get; }

    public float Alpha { get; }

    public int Lda { get; }

    public long StrideA { get; }

    public int Ldb { get; }

    public long StrideB { get; }

    public float Beta { get; }

    public int Ldc { get; }

    public long StrideC { get; }
}

/// <summary>
/// The classic shared-memory tiled GEMM (Kirk and Hwu, <i>Programming Massively Parallel Processors</i>, ch. 5): each
/// tile×tile group stages a tile of op(A) and one of op(B) in shared memory per step along K. It serves where cuBLAS
/// is absent and on ILGPU's CPU accelerator; grid (⌈N/tile⌉, ⌈M/tile⌉, batch), the tile edge being the group's edge
/// (at most <see cref="MaxTile"/>; the CPU test device uses a smaller one to keep its thread count low).
/// </summary>
internal static class GemmKernels
{
    /// <summary>Largest tile edge (a group of 256 threads).</summary>
    public const int MaxTile = 16;

    /// <summary>One output tile.</summary>
    /// <param name="a">A, batches <c>StrideA</c> apart.</param>
    /// <param name="b">B, batches <c>StrideB</c> apart.</param>
    /// <param name="c">C, batches <c>StrideC</c> apart.</param>
    public static void Tiled(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmShape s)
    {
        var tileA = SharedMemory.Allocate<float>(MaxTile * MaxTile);
        var tileB = SharedMemory.Allocate<float>(MaxTile * MaxTile);
        int tx = Group.IdxX, ty = Group.IdxY;
        var tile = Group.DimX;
        var row = Grid.IdxY * tile + ty;
        var col = Grid.IdxX * tile + tx;
        var batch = Grid.IdxZ;
        var offsetA = batch * s.StrideA;
        var offsetB = batch * s.StrideB;
        var accumulator = 0f;
        for (var k0 = 0; k0 < s.K; k0 += tile)
        {
            var ka = k0 + tx;
            tileA[ty * tile + tx] = row < s.M && ka < s.K
                ? (s.TransposeA != 0 ? a[offsetA + (long)ka * s.Lda + row] : a[offsetA + (long)row * s.Lda + ka])
                : 0f;
            var kb = k0 + ty;
            tileB[ty * tile + tx] = kb < s.K && col < s.N
                ? (s.TransposeB != 0 ? b[offsetB + (long)col * s.Ldb + kb] : b[offsetB + (long)kb * s.Ldb + col])
                : 0f;
            Group.Barrier();
            for (var i = 0; i < tile; i++)
            {
                accumulator += tileA[ty * tile + i] * tileB[i * tile + tx];
            }

            Group.Barrier();
        }

        if (row < s.M && col < s.N)
        {
            var index = batch * s.StrideC + (long)row * s.Ldc + col;

            // β = 0 ignores C's contents, even NaN (BLAS semantics).
            c[index] = s.Beta == 0f ? s.Alpha * accumulator : s.Alpha * accumulator + s.Beta * c[index];
        }
    }
}
