using System;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu;

/// <summary>
/// The managed CPU backend: tensors in pinned managed arrays, GEMM by the blocked SIMD kernel in <see cref="Gemm"/>
/// (or OpenBLAS when selected), element-wise work by <see cref="TensorPrimitives"/>.
/// </summary>
public sealed partial class CpuBackend : IComputeBackend
{
    private readonly GemmProvider _gemmProvider;
    private readonly int _threads;

    /// <summary>A backend with default options: managed GEMM on all cores.</summary>
    public CpuBackend()
        : this(new CpuBackendOptions())
    {
    }

    /// <summary>A backend with the given options (validated here).</summary>
    /// <param name="options">GEMM provider and thread count.</param>
    public CpuBackend(CpuBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _gemmProvider = options.GemmProvider;
        _threads = options.Threads ?? Gemm.DefaultThreads;
    }

    /// <summary>A process-wide default instance using all cores.</summary>
    public static CpuBackend Default { get; } = new();

    /// <summary>The GEMM implementation this backend calls.</summary>
    public GemmProvider GemmProvider => _gemmProvider;

    /// <summary>Most threads one operation uses.</summary>
    public int Threads => _threads;

    /// <inheritdoc />
    public string Name => "cpu";

    /// <summary>The span of a CPU tensor's elements. Only CPU kernels and tests use this; models go through the backend.</summary>
    /// <param name="tensor">A tensor owned by a CPU backend.</param>
    internal static Span<float> Span(Tensor tensor)
    {
        if (tensor.Storage is not CpuStorage storage)
        {
            throw new ArgumentException($"{tensor} is not stored on the CPU backend.", nameof(tensor));
        }

        return storage.Data.AsSpan((int)tensor.Offset, (int)tensor.Length);
    }

    /// <inheritdoc />
    public Tensor Allocate(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var count = TensorShape.ElementCount(shape);
        return new Tensor(this, new CpuStorage(count), 0, (int[])shape.Clone());
    }

    /// <inheritdoc />
    public void Upload(Tensor destination, ReadOnlySpan<float> source)
    {
        var dst = Span(destination);
        if (source.Length != dst.Length)
        {
            throw new ArgumentException($"Expected {dst.Length} values for {destination} but got {source.Length}.", nameof(source));
        }

        source.CopyTo(dst);
    }

    /// <inheritdoc />
    public void Download(Span<float> destination, Tensor source)
    {
        var src = Span(source);
        if (destination.Length != src.Length)
        {
            throw new ArgumentException($"Expected a buffer of {src.Length} values for {source} but got {destination.Length}.", nameof(destination));
        }

        src.CopyTo(destination);
    }

    /// <inheritdoc />
    public void MatMul(Tensor c, Tensor a, bool transposeA, Tensor b, bool transposeB, float alpha = 1f, float beta = 0f)
    {
        var (batch, m, n, k, aRows, aCols, bRows, bCols) = BackendChecks.MatMul(c, a, transposeA, b, transposeB);
        if (_gemmProvider == GemmProvider.OpenBlas)
        {
            OpenBlasGemm.MultiplyBatched(
                transposeA, transposeB, m, n, k, alpha,
                Span(a), aCols, (long)aRows * aCols,
                Span(b), bCols, (long)bRows * bCols,
                beta, Span(c), n, (long)m * n,
                batch, _threads);
            return;
        }

        Gemm.MultiplyBatched(
            transposeA, transposeB, m, n, k, alpha,
            Span(a), aCols, (long)aRows * aCols,
            Span(b), bCols, (long)bRows * bCols,
            beta, Span(c), n, (long)m * n,
            batch, _threads);
    }

    /// <inheritdoc />
    public void Fill(Tensor tensor, float value) => Span(tensor).Fill(value);

    /// <inheritdoc />
    public void Copy(Tensor destination, Tensor source)
    {
        var src = Span(source);
        var dst = Span(destination);
        if (src.Length != dst.Length)
        {
            throw new ArgumentException($"Cannot copy {source} into {destination}: element counts differ.");
        }

        src.CopyTo(dst);
    }

    /// <inheritdoc />
    public void Add(Tensor destination, Tensor x, Tensor y) => TensorPrimitives.Add(Span(x), Span(y), Span(destination));

    /// <inheritdoc />
    public void Axpy(Tensor y, float alpha, Tensor x)
    {
        var ys = Span(y);
        TensorPrimitives.MultiplyAdd(Span(x), alpha, ys, ys);
    }

    /// <inheritdoc />
    public void Scale(Tensor tensor, float alpha)
    {
        var s = Span(tensor);
        TensorPrimitives.Multiply(s, alpha, s);
    }

    /// <inheritdoc />
    public float Sum(Tensor tensor) => TensorPrimitives.Sum(Span(tensor));

    /// <inheritdoc />
    public void Synchronize()
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
