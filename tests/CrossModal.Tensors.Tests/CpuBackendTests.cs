using System;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Tests.Reference;
using Xunit;

namespace CrossModal.Tensors.Tests;

public class CpuBackendTests
{
    // fp32 sums of up to 64 products of values in [-1, 1]; the reference accumulates in double.
    private const float Atol = 1e-4f;
    private const float Rtol = 1e-4f;

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void MatMul_matches_reference_for_every_layout(bool ta, bool tb)
    {
        var backend = CpuBackend.Default;
        var rng = new Random(7);
        const int m = 13, k = 29, n = 17;
        var a = backend.Allocate(ta ? new[] { k, m } : new[] { m, k });
        var b = backend.Allocate(tb ? new[] { n, k } : new[] { k, n });
        var c = backend.Allocate(m, n);
        var ah = Random(rng, (int)a.Length);
        var bh = Random(rng, (int)b.Length);
        var ch = Random(rng, (int)c.Length);
        a.CopyFrom(ah);
        b.CopyFrom(bh);
        c.CopyFrom(ch);

        backend.MatMul(c, a, ta, b, tb, alpha: 0.5f, beta: -2f);

        ReferenceKernels.Gemm(ta, tb, m, n, k, 0.5f, ah, ta ? m : k, bh, tb ? k : n, -2f, ch, n);
        Assertions.Close(ch, c.ToArray(), Atol, Rtol, "C");
    }

    [Fact]
    public void MatMul_rejects_shapes_that_do_not_multiply()
    {
        var backend = CpuBackend.Default;
        var e = Assert.Throws<ArgumentException>(() =>
            backend.MatMul(backend.Allocate(2, 5), backend.Allocate(2, 3), false, backend.Allocate(4, 5), false));
        Assert.Contains("op(A) is 2×3, op(B) is 4×5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Views_share_storage_and_are_bounds_checked()
    {
        var backend = CpuBackend.Default;
        var t = backend.Allocate(4, 3);
        var row2 = t.View(6, 3);
        row2.CopyFrom(new[] { 1f, 2f, 3f });
        Assert.Equal(new[] { 0f, 0f, 0f, 0f, 0f, 0f, 1f, 2f, 3f, 0f, 0f, 0f }, t.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => t.View(10, 3));
        Assert.Throws<ArgumentException>(() => t.Reshape(5, 2));
    }

    private static float[] Random(Random rng, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(rng.NextDouble() * 2 - 1);
        }

        return values;
    }
}
