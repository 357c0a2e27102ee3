using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using CrossModal.Tensors.Cuda.Kernels;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace CrossModal.Tensors.Cuda;

/// <summary>
/// The CUDA backend: tensors live in device memory between calls; kernels are C# compiled to PTX by ILGPU (only the
/// NVIDIA driver is needed, no toolkit); GEMMs go through cuBLAS when it is found, else through a tiled ILGPU kernel.
/// All work is queued on one stream, so kernels and GEMMs run in order; <see cref="Synchronize"/> waits for it.
/// </summary>
/// <remarks>
/// One thread at a time: every entry point binds the device context to the calling thread. The same code runs on
/// ILGPU's CPU accelerator (<see cref="CreateOnCpuAccelerator"/>), a test device that simulates 32-lane warps with one
/// OS thread per GPU thread, so the kernels are tested on machines without a GPU.
/// </remarks>
public sealed partial class CudaBackend : IComputeBackend
{
    /// <summary>Threads per group of the row kernels (a whole number of warps, a power of two).</summary>
    private const int PreferredGroupSize = 256;

    /// <summary>Most groups of a whole-tensor reduction (each writes one partial the host adds).</summary>
    private const int ReductionGroups = 64;

    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly IDeviceGemm _gemm;
    private readonly int _groupSize;
    private readonly double[] _hostPartials = new double[ReductionGroups];
    private MemoryBuffer1D<double, Stride1D.Dense> _partials;
    private MemoryBuffer1D<int, Stride1D.Dense>? _ints;
    private MemoryBuffer1D<float, Stride1D.Dense>? _rowWeights;
    private MemoryBuffer1D<byte, Stride1D.Dense>? _bytes;
    private MemoryBuffer1D<float, Stride1D.Dense>? _scratch;
    private float[] _hostFloats = new float[256];
    private bool _disposed;

    /// <summary>Starts the backend on a CUDA device; throws <see cref="InvalidOperationException"/> naming what is missing (driver, device, cuBLAS).</summary>
    /// <param name="options">Device, TF32 and GEMM provider; null for the defaults.</param>
    public CudaBackend(CudaBackendOptions? options = null)
        : this(StartCuda(options ?? new CudaBackendOptions()))
    {
    }

    private CudaBackend(Start start)
    {
        _context = start.Context;
        _accelerator = start.Accelerator;
        _stream = _accelerator.DefaultStream;
        IsCpuAccelerator = _accelerator is CPUAccelerator;
        _groupSize = Math.Min(PreferredGroupSize, _accelerator.MaxNumThreadsPerGroup);
        _accelerator.Bind();
        try
        {
            _partials = _accelerator.Allocate1D<double>(ReductionGroups);
            _gemm = CreateGemm(start.Options);
        }
        catch
        {
            _accelerator.Dispose();
            _context.Dispose();
            throw;
        }

        DeviceName = _accelerator.Name;
        if (_accelerator is CudaAccelerator cuda)
        {
            Architecture = cuda.Architecture.ToString();
            InstructionSet = cuda.InstructionSet.ToString();
            DriverVersion = cuda.DriverVersion.ToString();
        }
        else
        {
            Architecture = $"ILGPU CPU accelerator ({_accelerator.WarpSize}-lane warps, {_accelerator.MaxNumThreadsPerGroup} threads per group)";
            InstructionSet = "none (IL)";
            DriverVersion = "none";
        }
    }

    /// <inheritdoc />
    public string Name => "cuda";

    /// <summary>The device's name, e.g. <c>NVIDIA H200</c>.</summary>
    public string DeviceName { get; }

    /// <summary>Whether this backend runs on ILGPU's CPU accelerator (the test device) rather than a GPU.</summary>
    public bool IsCpuAccelerator { get; }

    /// <summary>The GPU architecture ILGPU compiles for, e.g. <c>SM_90</c>.</summary>
    public string Architecture { get; }

    /// <summary>The PTX instruction set ILGPU emits, e.g. <c>ISA_88</c>.</summary>
    public string InstructionSet { get; }

    /// <summary>The driver's CUDA version as ILGPU reads it.</summary>
    public string DriverVersion { get; }

    /// <summary>What multiplies matrices, e.g. <c>cuBLAS 12.9.1 (fp32) from libcublas.so.12</c>.</summary>
    public string GemmDescription => _gemm.Description;

    /// <summary>
    /// Starts the backend on a CUDA device, or returns false with the reason (no driver, cuInit failed, no device,
    /// ILGPU does not support the device, cuBLAS required but absent).
    /// </summary>
    /// <param name="backend">The backend; null on failure.</param>
    /// <param name="reason">Why it could not start; null on success.</param>
    /// <param name="options">Device, TF32 and GEMM provider; null for the defaults.</param>
    public static bool TryCreate([NotNullWhen(true)] out CudaBackend? backend, [NotNullWhen(false)] out string? reason, CudaBackendOptions? options = null)
    {
        try
        {
            backend = new CudaBackend(options);
            reason = null;
            return true;
        }
        catch (InvalidOperationException e)
        {
            backend = null;
            reason = e.Message;
            return false;
        }
    }

    /// <summary>
    /// The test device: the same backend on ILGPU's CPU accelerator, simulating a GPU with <paramref name="warpSize"/>-lane
    /// warps and groups of up to <paramref name="warpsPerGroup"/> warps, one OS thread per simulated thread (keep shapes
    /// tiny: every barrier and warp shuffle wakes all of them). GEMMs use the tiled kernel with the largest tile the group
    /// holds. For tests and for checking the kernels on machines without a GPU; far slower than the CPU backend.
    /// </summary>
    /// <param name="warpsPerGroup">Warps per group, 2 by default, so reductions cross warps through shared memory.</param>
    /// <param name="warpSize">Lanes per warp: 32 as NVIDIA GPUs by default; a power of two from 2.</param>
    public static CudaBackend CreateOnCpuAccelerator(int warpsPerGroup = 2, int warpSize = 32)
    {
        if (warpsPerGroup is < 1 or > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(warpsPerGroup), warpsPerGroup, "Expected 1 to 32 warps per group.");
        }

        if (warpSize is < 2 or > 32 || (warpSize & (warpSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(warpSize), warpSize, "Expected a power of two from 2 to 32 lanes.");
        }

        var context = Context.Create(b => b.CPU(new CPUDevice(warpSize, warpsPerGroup, 1)).EnableAlgorithms());
        return new CudaBackend(new Start(context, context.CreateCPUAccelerator(0), new CudaBackendOptions { Gemm = CudaGemmProvider.Tiled }));
    }

    private static Start StartCuda(CudaBackendOptions options)
    {
        options.Validate();
        var driver = CudaDriverInfo.Probe();
        if (driver.Error is not null)
        {
            throw new InvalidOperationException($"The CUDA backend cannot start: {driver.Error}.");
        }

        if (options.DeviceIndex >= driver.Devices.Count)
        {
            throw new InvalidOperationException($"The CUDA backend cannot start: device {options.DeviceIndex} was requested but the driver reports {driver.Devices.Count} device(s).");
        }

        var context = Context.Create(b => b.Cuda().EnableAlgorithms());
        try
        {
            var devices = context.GetCudaDevices();
            if (options.DeviceIndex >= devices.Count)
            {
                throw new InvalidOperationException(
                    $"The CUDA backend cannot start: the driver (CUDA {driver.DriverVersionText}) reports {driver.Devices.Count} device(s) ({string.Join("; ", driver.Devices)}) but ILGPU can use {devices.Count}; ILGPU leaves out devices whose architecture or driver it cannot initialise.");
            }

            return new Start(context, context.CreateCudaAccelerator(options.DeviceIndex), options);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    private IDeviceGemm CreateGemm(CudaBackendOptions options)
    {
        if (_accelerator is not CudaAccelerator cuda || options.Gemm == CudaGemmProvider.Tiled)
        {
            return new TiledGemm(_accelerator, _stream);
        }

        if (NativeMethods.TryBindCublas(out var path, out var error))
        {
            return new CublasGemm((CudaStream)cuda.DefaultStream, options.UseTf32, path!);
        }

        if (options.Gemm == CudaGemmProvider.Cublas)
        {
            throw new InvalidOperationException($"The CUDA backend cannot start: CudaGemmProvider.Cublas was selected but {error}.");
        }

        return new TiledGemm(_accelerator, _stream);
    }

    /// <summary>
    /// Runs <paramref name="work"/> and returns the device time it took in milliseconds, measured with CUDA events on
    /// the backend's stream (on the CPU test device: wall time until <see cref="Synchronize"/> returns).
    /// </summary>
    /// <param name="work">Queues device work through this backend.</param>
    public unsafe double MeasureDeviceMilliseconds(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Enter();
        if (_stream is not CudaStream cudaStream)
        {
            var clock = Stopwatch.StartNew();
            work();
            Synchronize();
            return clock.Elapsed.TotalMilliseconds;
        }

        IntPtr start, end;
        CheckDriver(NativeMethods.CuEventCreate(&start, 0), "cuEventCreate");
        CheckDriver(NativeMethods.CuEventCreate(&end, 0), "cuEventCreate");
        try
        {
            CheckDriver(NativeMethods.CuEventRecord(start, cudaStream.StreamPtr), "cuEventRecord");
            work();
            Enter();
            CheckDriver(NativeMethods.CuEventRecord(end, cudaStream.StreamPtr), "cuEventRecord");
            CheckDriver(NativeMethods.CuEventSynchronize(end), "cuEventSynchronize");
            float milliseconds;
            CheckDriver(NativeMethods.CuEventElapsedTime(&milliseconds, start, end), "cuEventElapsedTime");
            return milliseconds;
        }
        finally
        {
            NativeMethods.CuEventDestroy(start);
            NativeMethods.CuEventDestroy(end);
        }
    }

    /// <inheritdoc />
    public Tensor Allocate(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Enter();
        var count = TensorShape.ElementCount(shape);

        // ILGPU does not allocate empty buffers; an empty tensor keeps one unused element.
        var buffer = _accelerator.Allocate1D<float>(Math.Max(count, 1));
        buffer.View.MemSetToZero(_stream);
        return new Tensor(this, new CudaStorage(this, buffer, count), 0, (int[])shape.Clone());
    }

    /// <inheritdoc />
    public void Upload(Tensor destination, ReadOnlySpan<float> source)
    {
        var view = View(destination);
        if (source.Length != view.Length)
        {
            throw new ArgumentException($"Expected {view.Length} values for {destination} but got {source.Length}.", nameof(source));
        }

        if (source.Length > 0)
        {
            view.CopyFromCPU(_stream, source);
        }
    }

    /// <inheritdoc />
    public void Download(Span<float> destination, Tensor source)
    {
        var view = View(source);
        if (destination.Length != view.Length)
        {
            throw new ArgumentException($"Expected a buffer of {view.Length} values for {source} but got {destination.Length}.", nameof(destination));
        }

        if (destination.Length > 0)
        {
            view.CopyToCPU(_stream, destination);
        }

        _stream.Synchronize();
    }

    /// <inheritdoc />
    public void MatMul(Tensor c, Tensor a, bool transposeA, Tensor b, bool transposeB, float alpha = 1f, float beta = 0f)
    {
        var (batch, m, n, k, aRows, aCols, bRows, bCols) = BackendChecks.MatMul(c, a, transposeA, b, transposeB);
        Gemm(transposeA, transposeB, m, n, k, alpha, View(a), aCols, (long)aRows * aCols, View(b), bCols, (long)bRows * bCols, beta, View(c), n, (long)m * n, batch);
    }

    /// <summary>Row-major GEMM on views (shapes checked by the caller).</summary>
    private void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, ArrayView<float> a, int lda, long strideA, ArrayView<float> b, int ldb, long strideB, float beta, ArrayView<float> c, int ldc, long strideC, int batch)
    {
        if (m == 0 || n == 0 || batch == 0)
        {
            return;
        }

        if (k == 0)
        {
            // op(A)·op(B) is all zeros: C = β·C, and β = 0 clears it.
            if (beta == 0f)
            {
                Launch(ref _fill, ElementwiseKernels.Fill, c, 0f);
            }
            else
            {
                Launch(ref _scale, ElementwiseKernels.Scale, c, beta);
            }

            return;
        }

        _gemm.Multiply(new GemmShape(transposeA, transposeB, m, n, k, alpha, lda, strideA, ldb, strideB, beta, ldc, strideC), a, b, c, batch);
    }

    /// <inheritdoc />
    public void Fill(Tensor tensor, float value) => Launch(ref _fill, ElementwiseKernels.Fill, View(tensor), value);

    /// <inheritdoc />
    public void Copy(Tensor destination, Tensor source)
    {
        var src = View(source);
        var dst = View(destination);
        if (src.Length != dst.Length)
        {
            throw new ArgumentException($"Cannot copy {source} into {destination}: element counts differ.");
        }

        Launch(ref _copy, ElementwiseKernels.Copy, dst, src);
    }

    /// <inheritdoc />
    public void Add(Tensor destination, Tensor x, Tensor y)
    {
        var dst = View(destination);
        Launch(ref _add, ElementwiseKernels.Add, dst, Same(x, dst.Length, nameof(x)), Same(y, dst.Length, nameof(y)));
    }

    /// <inheritdoc />
    public void Axpy(Tensor y, float alpha, Tensor x)
    {
        var ys = View(y);
        Launch(ref _axpy, ElementwiseKernels.Axpy, ys, Same(x, ys.Length, nameof(x)), alpha);
    }

    /// <inheritdoc />
    public void Scale(Tensor tensor, float alpha) => Launch(ref _scale, ElementwiseKernels.Scale, View(tensor), alpha);

    /// <inheritdoc />
    public float Sum(Tensor tensor) => (float)Reduce(View(tensor), default, ReductionKernels.SumKind);

    /// <inheritdoc />
    public double SumOfSquares(Tensor tensor) => Reduce(View(tensor), default, ReductionKernels.SumOfSquaresKind);

    /// <inheritdoc />
    public void Synchronize()
    {
        Enter();
        _stream.Synchronize();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _accelerator.Bind();
        _stream.Synchronize();
        _gemm.Dispose();
        _partials.Dispose();
        _ints?.Dispose();
        _rowWeights?.Dispose();
        _bytes?.Dispose();
        _scratch?.Dispose();
        _accelerator.Dispose();
        _context.Dispose();
    }

    /// <summary>Frees a storage's device memory (called by <see cref="CudaStorage"/>).</summary>
    internal void Release(MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        if (_disposed)
        {
            return;
        }

        _accelerator.Bind();
        buffer.Dispose();
    }

    /// <summary>Binds the device context to the calling thread (contexts are per thread).</summary>
    private void Enter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _accelerator.Bind();
    }

    /// <summary>The elements of a tensor of this backend.</summary>
    private ArrayView<float> View(Tensor tensor, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(tensor))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (tensor.Storage is not CudaStorage storage || !ReferenceEquals(storage.Owner, this))
        {
            throw new ArgumentException($"{tensor} is not stored on this CUDA backend.", name);
        }

        Enter();
        return storage.View.SubView(tensor.Offset, tensor.Length);
    }

    /// <summary>The elements of a tensor that must hold exactly <paramref name="length"/> values.</summary>
    private ArrayView<float> Same(Tensor tensor, long length, string name)
    {
        var view = View(tensor, name);
        if (view.Length != length)
        {
            throw new ArgumentException($"{tensor} has {view.Length} elements; {length} were expected.", name);
        }

        return view;
    }

    /// <summary>Σ in double over groups of partials (the host adds at most <see cref="ReductionGroups"/> of them).</summary>
    private double Reduce(ArrayView<float> x, ArrayView<float> y, int kind)
    {
        if (x.Length == 0)
        {
            return 0;
        }

        var groups = (int)Math.Min(ReductionGroups, (x.Length + _groupSize - 1) / _groupSize);
        var partials = _partials.View.SubView(0, groups);
        (_partialsKernel ??= _accelerator.LoadKernel<ArrayView<double>, ArrayView<float>, ArrayView<float>, int>(ReductionKernels.Partials))(
            _stream, new KernelConfig(groups, _groupSize), partials, x, y.IsValid ? y : x, kind);
        partials.CopyToCPU(_stream, _hostPartials.AsSpan(0, groups));
        _stream.Synchronize();
        double total = 0;
        for (var i = 0; i < groups; i++)
        {
            total += _hostPartials[i];
        }

        return total;
    }

    /// <summary>A device copy of host indices (valid until the next upload; uploads are ordered on the stream).</summary>
    private ArrayView<int> UploadInts(ReadOnlySpan<int> values) => UploadHost(ref _ints, values);

    /// <summary>A device copy of host per-row weights (valid until the next upload of weights).</summary>
    private ArrayView<float> UploadWeights(ReadOnlySpan<float> values) => UploadHost(ref _rowWeights, values);

    /// <summary>A device copy of host bytes (the key mask).</summary>
    private ArrayView<byte> UploadBytes(ReadOnlySpan<byte> values) => UploadHost(ref _bytes, values);

    /// <summary>Copies host values into a growable device buffer; at least one element is returned (launches need a view).</summary>
    private ArrayView<T> UploadHost<T>(ref MemoryBuffer1D<T, Stride1D.Dense>? buffer, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        if (buffer is null || buffer.Length < values.Length)
        {
            // Kernels queued earlier may still read the old buffer.
            _stream.Synchronize();
            buffer?.Dispose();
            buffer = _accelerator.Allocate1D<T>(Math.Max(values.Length, 256));
        }

        var view = buffer.View.SubView(0, Math.Max(values.Length, 1));
        if (!values.IsEmpty)
        {
            view.SubView(0, values.Length).CopyFromCPU(_stream, values);
        }

        return view;
    }

    /// <summary>Device scratch of at least <paramref name="length"/> floats (reused by the next caller).</summary>
    private ArrayView<float> Scratch(long length)
    {
        if (_scratch is null || _scratch.Length < length)
        {
            _stream.Synchronize();
            _scratch?.Dispose();
            _scratch = _accelerator.Allocate1D<float>(Math.Max(length, 1024));
        }

        return _scratch.View.SubView(0, Math.Max(length, 1));
    }

    /// <summary>Host scratch of <paramref name="length"/> floats.</summary>
    private Span<float> HostFloats(int length)
    {
        if (_hostFloats.Length < length)
        {
            _hostFloats = new float[Math.Max(length, 2 * _hostFloats.Length)];
        }

        return _hostFloats.AsSpan(0, length);
    }

    /// <summary>Downloads a view into host scratch and waits.</summary>
    private Span<float> ToHost(ArrayView<float> view)
    {
        var host = HostFloats((int)view.Length);
        view.CopyToCPU(_stream, host);
        _stream.Synchronize();
        return host;
    }

    private static unsafe void CheckDriver(int result, string call)
    {
        if (result != NativeMethods.CudaSuccess)
        {
            throw new InvalidOperationException($"{call} failed with {NativeMethods.CudaErrorName(result)}.");
        }
    }

    private sealed record Start(Context Context, Accelerator Accelerator, CudaBackendOptions Options);
}
