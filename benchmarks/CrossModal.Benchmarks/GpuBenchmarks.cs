using System;
using BenchmarkDotNet.Attributes;
using CrossModal.Models.Language;
using CrossModal.Tensors;
using CrossModal.Tensors.Cuda;
using CrossModal.Tensors.Nn;
using CrossModal.Tensors.Optim;

namespace CrossModal.Benchmarks;

/// <summary>
/// Square fp32 GEMM on the GPU: cuBLAS in full fp32, cuBLAS with TF32 tensor cores, and the tiled ILGPU kernel. Each
/// invocation queues <see cref="Launches"/> multiplications and waits for them, so launch latency is amortised and the
/// measured time is device time.
/// </summary>
[Config(typeof(GpuBenchmarkConfig))]
public class GpuGemmBenchmarks
{
    private const int Launches = 10;

    private CudaBackend _fp32 = null!;
    private CudaBackend _tf32 = null!;
    private CudaBackend _tiled = null!;
    private (Tensor A, Tensor B, Tensor C) _onFp32;
    private (Tensor A, Tensor B, Tensor C) _onTf32;
    private (Tensor A, Tensor B, Tensor C) _onTiled;

    [Params(1024, 4096)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _fp32 = GpuAvailability.Start(new CudaBackendOptions { Gemm = CudaGemmProvider.Cublas });
        _tf32 = GpuAvailability.Start(new CudaBackendOptions { Gemm = CudaGemmProvider.Cublas, UseTf32 = true });
        _tiled = GpuAvailability.Start(new CudaBackendOptions { Gemm = CudaGemmProvider.Tiled });
        _onFp32 = Operands(_fp32);
        _onTf32 = Operands(_tf32);
        _onTiled = Operands(_tiled);
        var p = $"[Size={Size}]";
        DeviceTimes.Measure(_fp32, nameof(CublasFp32), p, () => Multiply(_fp32, _onFp32));
        DeviceTimes.Measure(_tf32, nameof(CublasTf32), p, () => Multiply(_tf32, _onTf32));
        DeviceTimes.Measure(_tiled, nameof(TiledKernel), p, () => Multiply(_tiled, _onTiled), 5);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fp32.Dispose();
        _tf32.Dispose();
        _tiled.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Launches)]
    public void CublasFp32() => Run(_fp32, _onFp32);

    [Benchmark(OperationsPerInvoke = Launches)]
    public void CublasTf32() => Run(_tf32, _onTf32);

    [Benchmark(OperationsPerInvoke = Launches)]
    public void TiledKernel() => Run(_tiled, _onTiled);

    private (Tensor, Tensor, Tensor) Operands(CudaBackend backend)
    {
        var rng = new Random(1);
        var values = new float[Size * Size];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(rng.NextDouble() - 0.5);
        }

        var a = backend.Allocate(Size, Size);
        var b = backend.Allocate(Size, Size);
        a.CopyFrom(values);
        b.CopyFrom(values);
        return (a, b, backend.Allocate(Size, Size));
    }

    private static void Multiply(CudaBackend backend, (Tensor A, Tensor B, Tensor C) o) => backend.MatMul(o.C, o.A, false, o.B, false);

    private static void Run(CudaBackend backend, (Tensor A, Tensor B, Tensor C) o)
    {
        for (var i = 0; i < Launches; i++)
        {
            Multiply(backend, o);
        }

        backend.Synchronize();
    }
}

/// <summary>LayerNorm and attention kernels at GPT-2 small widths (C = 768, NH = 12), forward and backward.</summary>
[Config(typeof(GpuBenchmarkConfig))]
public class GpuLayerKernelBenchmarks
{
    private const int Launches = 10;
    private const int Batch = 8;
    private const int Time = 128;
    private const int Width = 768;
    private const int Heads = 12;

    private CudaBackend _backend = null!;
    private Tensor _x = null!;
    private Tensor _y = null!;
    private Tensor _weight = null!;
    private Tensor _bias = null!;
    private Tensor _dWeight = null!;
    private Tensor _dBias = null!;
    private Tensor _mean = null!;
    private Tensor _rstd = null!;
    private Tensor _qkv = null!;
    private Tensor _dQkv = null!;
    private Tensor _attention = null!;

    [GlobalSetup]
    public void Setup()
    {
        _backend = GpuAvailability.Start();
        var n = Batch * Time;
        _x = Filled(n, Width);
        _y = _backend.Allocate(n, Width);
        _weight = Filled(Width);
        _bias = Filled(Width);
        _dWeight = _backend.Allocate(Width);
        _dBias = _backend.Allocate(Width);
        _mean = _backend.Allocate(n);
        _rstd = _backend.Allocate(n);
        _qkv = Filled(n, 3 * Width);
        _dQkv = _backend.Allocate(n, 3 * Width);
        _attention = _backend.Allocate(Batch, Heads, Time, Time);
        DeviceTimes.Measure(_backend, nameof(LayerNormForward), string.Empty, LayerNormForwardOnce);
        DeviceTimes.Measure(_backend, nameof(LayerNormBackward), string.Empty, LayerNormBackwardOnce);
        DeviceTimes.Measure(_backend, nameof(AttentionForward), string.Empty, AttentionForwardOnce);
        DeviceTimes.Measure(_backend, nameof(AttentionBackward), string.Empty, AttentionBackwardOnce);
    }

    [GlobalCleanup]
    public void Cleanup() => _backend.Dispose();

    [Benchmark(OperationsPerInvoke = Launches)]
    public void LayerNormForward() => Repeat(LayerNormForwardOnce);

    [Benchmark(OperationsPerInvoke = Launches)]
    public void LayerNormBackward() => Repeat(LayerNormBackwardOnce);

    [Benchmark(OperationsPerInvoke = Launches)]
    public void AttentionForward() => Repeat(AttentionForwardOnce);

    [Benchmark(OperationsPerInvoke = Launches)]
    public void AttentionBackward() => Repeat(AttentionBackwardOnce);

    private void LayerNormForwardOnce() => _backend.LayerNormForward(_y, _mean, _rstd, _x, _weight, _bias, 1e-5f);

    private void LayerNormBackwardOnce() => _backend.LayerNormBackward(_y, _dWeight, _dBias, _x, _x, _weight, _mean, _rstd);

    private void AttentionForwardOnce() => _backend.AttentionForward(_y, _attention, _qkv, default, true, Batch, Time, Heads);

    private void AttentionBackwardOnce() => _backend.AttentionBackward(_dQkv, _y, _qkv, _attention, Batch, Time, Heads);

    private void Repeat(Action operation)
    {
        for (var i = 0; i < Launches; i++)
        {
            operation();
        }

        _backend.Synchronize();
    }

    private Tensor Filled(params int[] shape)
    {
        var t = _backend.Allocate(shape);
        var values = new float[t.Length];
        var rng = new Random(2);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(rng.NextDouble() - 0.5);
        }

        t.CopyFrom(values);
        return t;
    }
}

/// <summary>
/// The training step of <see cref="TrainStepBenchmarks"/> (L = 4, C = 256, NH = 8, V = 5,000, T = 32, B = 32: 1,024
/// tokens) on the GPU with cuBLAS fp32 GEMMs. The loss is read back every step, which synchronises.
/// </summary>
[Config(typeof(GpuBenchmarkConfig))]
public class GpuTrainStepBenchmarks
{
    /// <summary>Tokens per step, for tokens/s.</summary>
    public const int TokensPerStep = TrainStepWorkload.Batch * TrainStepWorkload.Context;

    private const int Steps = 2;

    private CudaBackend _backend = null!;
    private TrainStepWorkload _workload = null!;

    [GlobalSetup]
    public void Setup()
    {
        _backend = GpuAvailability.Start();
        _workload = new TrainStepWorkload(_backend);
        DeviceTimes.Measure(_backend, nameof(TrainingStep), string.Empty, () => _workload.Step(), 5);
    }

    [GlobalCleanup]
    public void Cleanup() => _backend.Dispose();

    [Benchmark(OperationsPerInvoke = Steps)]
    public float TrainingStep()
    {
        var loss = 0f;
        for (var i = 0; i < Steps; i++)
        {
            loss = _workload.Step();
        }

        _backend.Synchronize();
        return loss;
    }
}
