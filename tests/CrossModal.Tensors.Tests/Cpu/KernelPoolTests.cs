using System;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Cpu.Kernels;
using Xunit;

namespace CrossModal.Tensors.Tests.Cpu;

/// <summary>The kernel pool splits large work over the cores, and a thread's <see cref="KernelPool.Limit"/> caps it
/// (a single-threaded backend must not borrow the pool's threads while another trains beside it).</summary>
public sealed class KernelPoolTests
{
    [Fact]
    public void LimitCapsThePartsOfTheCurrentThreadOnlyUntilDisposed()
    {
        var pool = KernelPool.Instance;
        const long large = KernelPool.MinimumWork * 64;
        var unlimited = pool.PartsFor(large, 1000);
        Assert.Equal(Math.Min(1000, Environment.ProcessorCount), unlimited);
        using (KernelPool.Limit(1))
        {
            Assert.Equal(1, pool.PartsFor(large, 1000));
            using (KernelPool.Limit(2))
            {
                Assert.Equal(Math.Min(2, unlimited), pool.PartsFor(large, 1000));
            }

            Assert.Equal(1, pool.PartsFor(large, 1000));
        }

        Assert.Equal(unlimited, pool.PartsFor(large, 1000));
        Assert.Equal(1, pool.PartsFor(KernelPool.MinimumWork - 1, 1000));
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
}
