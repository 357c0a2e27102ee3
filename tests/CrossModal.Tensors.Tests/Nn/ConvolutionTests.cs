using System;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Tests.Reference;
using Xunit;
using static CrossModal.Tensors.Tests.NormAssertions;
using ConvKernel = CrossModal.Tensors.Cpu.Kernels.Conv2d;
using PoolKernel = CrossModal.Tensors.Cpu.Kernels.MaxPool2d;

namespace CrossModal.Tensors.Tests.Nn;

/// <summary>Conv2d and MaxPool2d against PyTorch 1.13 (make_conv_fixtures.py) and against naive scalar twins.</summary>
public class ConvolutionTests
{
    private static readonly CpuBackend Backend = CpuBackend.Default;

    [Theory]
    [InlineData("conv_k3_s1_p1")]
    [InlineData("conv_k3_s2_p1")]
    [InlineData("conv_k5_s2_p2_nobias")]
    [InlineData("conv_k1_s1_p0")]
    [InlineData("conv_k3_s1_p0")]
    public void Conv2d_forward_and_every_gradient_match_pytorch(string name)
    {
        var f = Fixture.Load(name);
        var x = KernelParityTests.Load(f, "x");
        var w = KernelParityTests.Load(f, "weight");
        var b = f.Has("bias") ? KernelParityTests.Load(f, "bias") : null;
        var (stride, padding) = ((int)f.Scalar("stride"), (int)f.Scalar("padding"));
        var output = Backend.Allocate(f.Shape("out"));
        Backend.Conv2dForward(output, x, w, b, stride, padding);
        Close(f["out"], output.ToArray(), ForwardTolerance, "out");

        var dx = Backend.Allocate(f.Shape("x"));
        var dw = Backend.Allocate(f.Shape("weight"));
        var db = b is null ? null : Backend.Allocate(f.Shape("bias"));
        Backend.Conv2dBackward(dx, dw, db, KernelParityTests.Load(f, "dout"), x, w, stride, padding);
        Close(f["dx"], dx.ToArray(), GradientTolerance, "dx");
        Close(f["dweight"], dw.ToArray(), GradientTolerance, "dweight");
        if (db is not null)
        {
            Close(f["dbias"], db.ToArray(), GradientTolerance, "dbias");
        }
    }

    [Theory]
    [InlineData("maxpool_k2_s2")]
    [InlineData("maxpool_k2_s2_odd")]
    [InlineData("maxpool_k3_s2")]
    public void MaxPool2d_forward_and_gradient_match_pytorch(string name)
    {
        var f = Fixture.Load(name);
        var x = KernelParityTests.Load(f, "x");
        var (kernel, stride) = ((int)f.Scalar("kernel"), (int)f.Scalar("stride"));
        var output = Backend.Allocate(f.Shape("out"));
        Backend.MaxPool2dForward(output, x, kernel, stride);
        Assert.Equal(f["out"], output.ToArray());
        var dx = Backend.Allocate(f.Shape("x"));
        Backend.MaxPool2dBackward(dx, KernelParityTests.Load(f, "dout"), x, output, kernel, stride);
        Close(f["dx"], dx.ToArray(), ForwardTolerance, "dx");
    }

    /// <summary>Sizes that split the batch into several im2col groups (one image per group at 48×48×16), and odd
    /// shapes with stride 2 and padding 2, checked against the scalar twin; gradients accumulate into dW and db.</summary>
    [Theory]
    [InlineData(3, 16, 48, 48, 4, 3, 1, 1)]
    [InlineData(5, 3, 13, 11, 7, 5, 2, 2)]
    [InlineData(2, 6, 9, 9, 3, 3, 3, 0)]
    [InlineData(4, 2, 5, 6, 2, 4, 1, 1)]
    [InlineData(20, 3, 32, 32, 16, 3, 1, 1)]
    [InlineData(7, 16, 48, 48, 4, 3, 1, 1)]
    public void Conv2d_kernel_matches_its_scalar_twin(int b, int c, int h, int w, int oc, int k, int s, int p)
    {
        var rng = new Random(b * 1000 + c * 100 + k);
        float[] Random(int n) => Uniform(rng, n);

        int oh = ConvReferenceKernels.Out(h, k, s, p), ow = ConvReferenceKernels.Out(w, k, s, p);
        var input = Random(b * c * h * w);
        var weight = Random(oc * c * k * k);
        var bias = Random(oc);
        var expected = new float[b * oc * oh * ow];
        ConvReferenceKernels.ConvForward(expected, input, weight, bias, b, c, h, w, oc, k, s, p);
        var actual = new float[expected.Length];
        ConvKernel.Forward(actual, input, weight, bias, b, c, h, w, oc, k, s, p, maxThreads: 2);
        Assertions.Close(expected, actual, 1e-4f, 1e-4f, "out");

        var dout = Random(expected.Length);
        var initialW = Random(weight.Length);
        var initialB = Random(oc);
        var (dxRef, dwRef, dbRef) = (new float[input.Length], (float[])initialW.Clone(), (float[])initialB.Clone());
        ConvReferenceKernels.ConvBackward(dxRef, dwRef, dbRef, dout, input, weight, b, c, h, w, oc, k, s, p);
        var (dx, dw, db) = (new float[input.Length], (float[])initialW.Clone(), (float[])initialB.Clone());
        Array.Fill(dx, float.NaN);
        ConvKernel.Backward(dx, dw, db, dout, input, weight, b, c, h, w, oc, k, s, p, maxThreads: 2);
        Assertions.Close(dxRef, dx, 1e-4f, 1e-4f, "dx");
        Assertions.Close(dwRef, dw, 1e-3f, 1e-4f, "dweight");
        Assertions.Close(dbRef, db, 1e-3f, 1e-4f, "dbias");
    }

    /// <summary>Groups of images are shared out over the threads, and each group's weight gradient is added in group
    /// order: one thread and several must give the same bits, forward and backward.</summary>
    [Theory]
    [InlineData(20, 3, 32, 32, 16, 3, 1, 1)]
    [InlineData(9, 16, 32, 32, 16, 3, 1, 1)]
    [InlineData(13, 8, 17, 15, 12, 3, 2, 1)]
    public void Conv2d_kernel_gives_the_same_bits_on_any_number_of_threads(int b, int c, int h, int w, int oc, int k, int s, int p)
    {
        var rng = new Random(b + c + h);
        float[] Random(int n) => Uniform(rng, n);

        int oh = ConvReferenceKernels.Out(h, k, s, p), ow = ConvReferenceKernels.Out(w, k, s, p);
        var input = Random(b * c * h * w);
        var weight = Random(oc * c * k * k);
        var bias = Random(oc);
        var dout = Random(b * oc * oh * ow);
        var initialW = Random(weight.Length);
        var initialB = Random(oc);
        (float[] Out, float[] Dx, float[] Dw, float[] Db) Run(int threads)
        {
            var output = new float[dout.Length];
            ConvKernel.Forward(output, input, weight, bias, b, c, h, w, oc, k, s, p, maxThreads: threads);
            var (dx, dw, db) = (new float[input.Length], (float[])initialW.Clone(), (float[])initialB.Clone());
            ConvKernel.Backward(dx, dw, db, dout, input, weight, b, c, h, w, oc, k, s, p, maxThreads: threads);
            return (output, dx, dw, db);
        }

        var one = Run(1);
        foreach (var threads in new[] { 2, Environment.ProcessorCount + 1 })
        {
            var many = Run(threads);
            Assert.Equal(one.Out, many.Out);
            Assert.Equal(one.Dx, many.Dx);
            Assert.Equal(one.Dw, many.Dw);
            Assert.Equal(one.Db, many.Db);
        }
    }

    [Fact]
    public void Conv2d_backward_without_input_gradient_still_accumulates_the_weight_gradient()
    {
        var f = Fixture.Load("conv_k3_s2_p1");
        var x = KernelParityTests.Load(f, "x");
        var w = KernelParityTests.Load(f, "weight");
        var dw = Backend.Allocate(f.Shape("weight"));
        Backend.Conv2dBackward(null, dw, null, KernelParityTests.Load(f, "dout"), x, w, 2, 1);
        Close(f["dweight"], dw.ToArray(), GradientTolerance, "dweight");
    }

    [Fact]
    public void Modules_chain_conv_and_pool_with_the_shapes_of_pytorch()
    {
        var conv = new CrossModal.Tensors.Nn.Conv2d(Backend, 3, 8, kernel: 3, stride: 1, padding: 1);
        var pool = new CrossModal.Tensors.Nn.MaxPool2d(Backend, 2);
        conv.ResetParameters(seed: 1);
        var x = Backend.Allocate(2, 3, 9, 9);
        x.CopyFrom(new float[2 * 3 * 9 * 9].AsSpan());
        var y = pool.Forward(conv.Forward(x));
        Assert.Equal([2, 8, 4, 4], y.Shape.ToArray());
        var dx = conv.Backward(pool.Backward(y), inputGradient: false);
        Assert.Null(dx);
        Assert.Equal([8, 3, 3, 3], conv.Weight.Value.Shape.ToArray());
    }

    [Fact]
    public void Bad_shapes_are_argument_errors_naming_the_parameter()
    {
        var e = Assert.Throws<ArgumentException>(() => ConvKernel.OutputSize(2, 5, 1, 1));
        Assert.Equal("kernel", e.ParamName);
        var w = Backend.Allocate(4, 2, 3, 3);
        var x = Backend.Allocate(1, 3, 8, 8);
        var wrong = Assert.Throws<ArgumentException>(() => Backend.Conv2dForward(Backend.Allocate(1, 4, 8, 8), x, w, null, 1, 1));
        Assert.Equal("weight", wrong.ParamName);
        var output = Assert.Throws<ArgumentException>(() => PoolKernel.Forward(new float[10], new float[64], 1, 8, 8, 2, 2));
        Assert.Equal("output", output.ParamName);
    }

    /// <summary>n values uniform in [−1, 1).</summary>
    private static float[] Uniform(Random rng, int n)
    {
        var a = new float[n];
        for (var i = 0; i < n; i++)
        {
            a[i] = (float)(rng.NextDouble() * 2 - 1);
        }

        return a;
    }
}
