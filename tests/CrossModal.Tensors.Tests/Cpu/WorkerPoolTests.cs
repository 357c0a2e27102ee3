using System;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Cpu.Kernels;
using Xunit;

namespace CrossModal.Tensors.Tests.Cpu;

/// <summary>The worker pools run every part once, rethrow a part's failure, and the kernel pool splits large work over the cores, and a thread's <see cref="WorkerPool.Limit"/> caps it
/// (a single-threaded backend must not borrow the pool's threads while another trains beside it).</summary>
public sealed class WorkerPoolTests
{
    [Fact]
    public void LimitCapsThePartsOfTheCurrentThreadOnlyUntilDisposed()
    {
        var pool = WorkerPool.Kernels;
        const long large = WorkerPool.MinimumWork * 64;
        var unlimited = pool.PartsFor(large, 1000);
        Assert.Equal(Math.Min(1000, Environment.ProcessorCount), unlimited);
        using (WorkerPool.Limit(1))
        {
            Assert.Equal(1, pool.PartsFor(large, 1000));
            using (WorkerPool.Limit(2))
            {
                Assert.Equal(Math.Min(2, unlimited), pool.PartsFor(large, 1000));
            }

            Assert.Equal(1, pool.PartsFor(large, 1000));
        }

        Assert.Equal(unlimited, pool.PartsFor(large, 1000));
        Assert.Equal(1, pool.PartsFor(WorkerPool.MinimumWork - 1, 1000));
    }

    [Fact]
    public void ASingleThreadedBackendGivesTheSameActivationsAsTheDefault()
    {
        var one = new CpuBackend(new CpuBackendOptions { Threads = 1 });
        var all = CpuBackend.Default;
        var values = new float[1 << 18];
        var random = new Random(3);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 8 - 4);
        }

        float[] Run(CpuBackend backend)
        {
            var input = backend.Allocate([values.Length]);
            var output = backend.Allocate([values.Length]);
            input.CopyFrom(values);
            backend.ActivationForward(Activation.Gelu, output, input);
            return output.ToArray();
        }

        Assert.Equal(Run(all), Run(one));
    }

    [Fact]
    public void ASingleThreadedBackendGivesTheSameLinearAndContrastiveResultsAsTheDefault()
    {
        // Large enough that the default backend's GEMMs are split over the pool (above GemmDriver.ParallelThreshold).
        const int n = 256, c = 96, oc = 128;
        var random = new Random(5);
        float[] Fill(int count)
        {
            var a = new float[count];
            for (var i = 0; i < count; i++)
            {
                a[i] = (float)(random.NextDouble() * 2 - 1);
            }

            return a;
        }

        var x = Fill(n * c);
        var w = Fill(oc * c);
        var b = Fill(oc);
        var dy = Fill(n * oc);
        var image = Fill(n * oc);
        var text = Fill(n * oc);

        float[][] Run(CpuBackend backend)
        {
            var input = backend.Allocate([n, c]);
            var weight = backend.Allocate([oc, c]);
            var bias = backend.Allocate([oc]);
            var output = backend.Allocate([n, oc]);
            var dOutput = backend.Allocate([n, oc]);
            var dInput = backend.Allocate([n, c]);
            var dWeight = backend.Allocate([oc, c]);
            var dBias = backend.Allocate([oc]);
            input.CopyFrom(x);
            weight.CopyFrom(w);
            bias.CopyFrom(b);
            dOutput.CopyFrom(dy);
            backend.LinearForward(output, input, weight, bias);
            backend.LinearBackward(dInput, dWeight, dBias, dOutput, input, weight);

            var img = backend.Allocate([n, oc]);
            var txt = backend.Allocate([n, oc]);
            img.CopyFrom(image);
            txt.CopyFrom(text);
            var logits = backend.Allocate([n, n]);
            var rows = backend.Allocate([n]);
            var columns = backend.Allocate([n]);
            var logT = backend.Allocate([1]);
            logT.CopyFrom([2.0f]);
            var loss = backend.ContrastiveLossForward(logits, rows, columns, img, txt, logT);
            var dImg = backend.Allocate([n, oc]);
            var dTxt = backend.Allocate([n, oc]);
            var dLogT = backend.Allocate([1]);
            var dLogits = backend.Allocate([n, n]);
            backend.ContrastiveLossBackward(dImg, dTxt, dLogT, dLogits, logits, rows, columns, img, txt, logT, 1f);
            return [output.ToArray(), dInput.ToArray(), dWeight.ToArray(), dBias.ToArray(), [loss], dImg.ToArray(), dTxt.ToArray(), dLogT.ToArray()];
        }

        var all = Run(CpuBackend.Default);
        var one = Run(new CpuBackend(new CpuBackendOptions { Threads = 1 }));
        for (var i = 0; i < all.Length; i++)
        {
            Assert.Equal(all[i], one[i]);
        }
    }

    private sealed class CountingWork(int parts, int failingPart) : IParallelWork
    {
        public int[] Runs { get; } = new int[parts];

        public void Execute(int part, int parts)
        {
            System.Threading.Interlocked.Increment(ref Runs[part]);
            if (part == failingPart)
            {
                throw new InvalidOperationException($"part {part} failed");
            }
        }
    }

    [Fact]
    public void EveryPartRunsOnceAndAFailingPartIsRethrownWithoutBreakingThePool()
    {
        foreach (var pool in new[] { WorkerPool.Gemm, WorkerPool.Kernels })
        {
            var parts = pool.MaxThreads;
            var work = new CountingWork(parts, failingPart: -1);
            pool.Run(work, parts);
            Assert.All(work.Runs, runs => Assert.Equal(1, runs));

            var failing = new CountingWork(parts, failingPart: parts - 1);
            var e = Assert.Throws<InvalidOperationException>(() => pool.Run(failing, parts));
            Assert.Equal($"part {parts - 1} failed", e.Message);
            Assert.All(failing.Runs, runs => Assert.Equal(1, runs));

            var again = new CountingWork(parts, failingPart: -1);
            pool.Run(again, parts);
            Assert.All(again.Runs, runs => Assert.Equal(1, runs));
        }
    }
}
