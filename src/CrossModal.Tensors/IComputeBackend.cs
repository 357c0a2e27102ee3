using System;

namespace CrossModal.Tensors;

/// <summary>
/// The seam between models and hardware. Every tensor operation a model performs goes through a backend, so a
/// GPU backend can keep data on the device between calls; host memory is reached only by
/// <see cref="Upload"/> and <see cref="Download"/>. All backends pass the same conformance tests against the CPU backend.
/// </summary>
public interface IComputeBackend : IDisposable
{
    /// <summary>A short name, e.g. <c>"cpu"</c>.</summary>
    string Name { get; }

    /// <summary>Allocates a zero-filled tensor.</summary>
    /// <param name="shape">Dimensions, outermost first.</param>
    Tensor Allocate(params int[] shape);

    /// <summary>Copies host values into <paramref name="destination"/>.</summary>
    /// <param name="source">Exactly <c>destination.Length</c> values.</param>
    /// <param name="destination">A tensor of this backend.</param>
    void Upload(ReadOnlySpan<float> source, Tensor destination);

    /// <summary>Copies <paramref name="source"/> to host memory.</summary>
    /// <param name="source">A tensor of this backend.</param>
    /// <param name="destination">Exactly <c>source.Length</c> values.</param>
    void Download(Tensor source, Span<float> destination);

    /// <summary>
    /// Matrix multiply: effectively computes <c>C = α·op(A)·op(B) + β·C</c> where op(X) is X or Xᵀ.
    /// With rank-2 operands this is one GEMM; with rank-3 operands (<c>[batch, rows, cols]</c>) it is a batched GEMM
    /// over the leading dimension.
    /// </summary>
    /// <param name="a">A: (M, K), or (K, M) when <paramref name="transposeA"/>; optionally with a leading batch dimension.</param>
    /// <param name="transposeA">Use Aᵀ.</param>
    /// <param name="b">B: (K, N), or (N, K) when <paramref name="transposeB"/>; optionally with a leading batch dimension.</param>
    /// <param name="transposeB">Use Bᵀ.</param>
    /// <param name="c">C: (M, N), with the same batch dimension as the operands; overwritten when β = 0.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the existing C (0 ignores C's contents, even NaN).</param>
    void MatMul(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, float alpha = 1f, float beta = 0f);

    /// <summary>Sets every element of <paramref name="tensor"/> to <paramref name="value"/>.</summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="value">The value.</param>
    void Fill(Tensor tensor, float value);

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> (same element count).</summary>
    /// <param name="source">Source tensor.</param>
    /// <param name="destination">Destination tensor.</param>
    void Copy(Tensor source, Tensor destination);

    /// <summary>Element-wise <c>destination = x + y</c>.</summary>
    /// <param name="x">First operand.</param>
    /// <param name="y">Second operand (same element count).</param>
    /// <param name="destination">Result; may be <paramref name="x"/> or <paramref name="y"/>.</param>
    void Add(Tensor x, Tensor y, Tensor destination);

    /// <summary>Element-wise <c>y = α·x + y</c>.</summary>
    /// <param name="alpha">Scale of x.</param>
    /// <param name="x">Input.</param>
    /// <param name="y">Accumulator, updated in place.</param>
    void Axpy(float alpha, Tensor x, Tensor y);

    /// <summary>Element-wise <c>tensor = α·tensor</c>.</summary>
    /// <param name="tensor">Scaled in place.</param>
    /// <param name="alpha">The factor.</param>
    void Scale(Tensor tensor, float alpha);

    /// <summary>Sum of all elements.</summary>
    /// <param name="tensor">The tensor.</param>
    float Sum(Tensor tensor);

    /// <summary>Waits until all queued work has finished (a no-op on synchronous backends).</summary>
    void Synchronize();
}
