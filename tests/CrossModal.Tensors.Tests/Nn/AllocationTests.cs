using System;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Nn;
using CrossModal.Tensors.Optim;
using Xunit;

namespace CrossModal.Tensors.Tests.Nn;

/// <summary>Runs alone: the process-wide allocation counter must not see other tests' work.</summary>
[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>
/// A training step in steady state allocates nothing on the managed heap (a GC pause mid-training costs throughput). The calling thread must
/// allocate exactly 0 bytes. The process-wide count also covers the GEMM worker threads, but the test host allocates a
/// few hundred bytes a second on its own threads even when idle (measured: ~340 B per 200 ms), and more
/// under load, so that count gets a fixed allowance of 64 KiB over 10 steps: a re-allocated activation buffer
/// (≥ 8 KiB for the smallest tensor here) every step would exceed it.
/// </summary>
[Collection(nameof(AllocationCollection))]
public class AllocationTests
{
    private const int Steps = 10;
    private const long HostNoiseAllowance = 64 * 1024;

    [Fact]
    public void Clip_pair_training_step_allocates_nothing_in_steady_state()
    {
        var f = Fixture.Load("clip");
        var (model, images) = ModelParityTests.LoadClip(f);
        var optimizer = new Sgd(model.Parameters(), new SgdOptions { LearningRate = 1e-2f });
        var (tokens, mask, eot) = (f.Ints("tokens"), f.Bytes("key_mask"), f.Ints("eot"));
        Measure(() =>
        {
            model.ZeroGrad();
            model.ForwardLoss(tokens, mask, eot, images, 6, 8);
            model.Backward();
            optimizer.Step();
        });
    }

    [Fact]
    public void Convolution_and_pooling_training_step_allocates_nothing_in_steady_state()
    {
        var backend = CpuBackend.Default;
        var conv = new Conv2d(backend, 3, 16, kernel: 3, padding: 1);
        var pool = new MaxPool2d(backend, 2);
        var conv2 = new Conv2d(backend, 16, 8, kernel: 3, stride: 2, padding: 1);
        conv.ResetParameters(seed: 1);
        conv2.ResetParameters(seed: 2);
        var x = backend.Allocate(8, 3, 32, 32);
        var dy = backend.Allocate(8, 8, 8, 8);
        backend.Fill(x, 0.5f);
        backend.Fill(dy, 0.1f);
        Measure(() =>
        {
            conv.ZeroGrad();
            conv2.ZeroGrad();
            conv2.Forward(pool.Forward(conv.Forward(x)));
            conv.Backward(pool.Backward(conv2.Backward(dy)!), inputGradient: false);
        });
    }

    private static void Measure(Action step)
    {
        for (var i = 0; i < 3; i++)
        {
            step();
        }

        // Noise from other threads only adds bytes, so the least of three trials is the honest figure; a real
        // per-step allocation shows up in every trial.
        long thread = long.MaxValue, all = long.MaxValue;
        for (var trial = 0; trial < 3; trial++)
        {
            var total0 = GC.GetTotalAllocatedBytes(precise: true);
            var thread0 = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Steps; i++)
            {
                step();
            }

            thread = Math.Min(thread, GC.GetAllocatedBytesForCurrentThread() - thread0);
            all = Math.Min(all, GC.GetTotalAllocatedBytes(precise: true) - total0);
        }

        Assert.Equal(0L, thread);
        Assert.True(all < HostNoiseAllowance, $"{all} bytes allocated on all threads over {Steps} steps");
    }
}
