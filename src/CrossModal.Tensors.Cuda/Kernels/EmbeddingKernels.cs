using ILGPU;

namespace CrossModal.Tensors.Cuda.Kernels;

/// <summary>Token and position embeddings, forward and backward; backward passes loop over rows in order (no atomics).</summary>
internal static class EmbeddingKernels
{
    /// <summary>output[n, j] = table[ids[n], j].</summary>
    /// <param name="output">(N, C).</param>
    /// <param name="ids">(N), validated on the host.</param>
    /// <param name="table">(V, C).</param>
    public static void Forward(Index1D index, ArrayView<float> output, ArrayView<int> ids, ArrayView<float> table, int c)
        => output[index] = table[(long)ids[index.X / c] * c + index.X % c];

    /// <summary>dTable[ids[n], j] += dOutput[n, j], one thread per column j.</summary>
    /// <param name="dTable">(V, C).</param>
    /// <param name="dOutput">(N, C).</param>
    /// <param name="ids">(N).</param>
    public static void Backward(Index1D j, ArrayView<float> dTable, ArrayView<float> dOutput, ArrayView<int> ids, int n, int c)
    {
        for (var row = 0; row < n; row++)
        {
            dTable[(long)ids[row] * c + j] += dOutput[(long)row * c + j];
        }
    }

    /// <summary>x[b, t, j] += positions[t, j].</summary>
    /// <param name="x">(B·T, C).</param>
    /// <param name="positions">(≥T, C).</param>
    public static void AddPositions(Index1D index, ArrayView<float> x, ArrayView<float> positions, int timeWidth)
        => x[index] += positions[index.X % timeWidth];

    /// <summary>dPositions[t, j] += Σ_b dX[b, t, j].</summary>
    /// <param name="dPositions">(≥T, C).</param>
    /// <param name="dX">(B·T, C).</param>
    public static void AddPositionsBackward(Index1D index, ArrayView<float> dPositions, ArrayView<float> dX, int batch, int timeWidth)
    {
        var sum = dPositions[index];
        for (var b = 0; b < batch; b++)
        {
            sum += dX[(long)b * timeWidth + index.X];
        }

        dPositions[index] = sum;
    }
}
