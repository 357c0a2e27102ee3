using System;
using System.Linq;
using CrossModal.Tensors.Cpu;

namespace CrossModal.Tensors.Cuda.Tests.Conformance;

/// <content>The operations of the convolutional tower and of streaming attention: convolution, max pooling, the online softmax step.</content>
public static partial class ConformanceCases
{
    private static void Convolution(IComputeBackend backend, string name)
    {
        var f = TorchFixture.Load(name);
        var x = f.Load(backend, "x");
        var w = f.Load(backend, "weight");
        var b = f.Has("bias") ? f.Load(backend, "bias") : null;
        var (stride, padding) = ((int)f.Scalar("stride"), (int)f.Scalar("padding"));
        var output = backend.Allocate(f.Shape("out"));
        backend.Conv2dForward(output, x, w, b, stride, padding);
        Check.Close(f["out"], output.ToArray(), Check.ForwardTolerance, "out");

        var dout = f.Load(backend, "dout");
        var dx = backend.Allocate(f.Shape("x"));
        backend.Fill(dx, float.NaN);
        var dw = backend.Allocate(f.Shape("weight"));
        var db = b is null ? null : backend.Allocate(f.Shape("bias"));
        backend.Conv2dBackward(dx, dw, db, dout, x, w, stride, padding);
        Check.Close(f["dx"], dx.ToArray(), Check.GradientTolerance, "dx (overwritten)");
        Check.Close(f["dweight"], dw.ToArray(), Check.GradientTolerance, "dweight");
        if (db is not null)
        {
            Check.Close(f["dbias"], db.ToArray(), Check.GradientTolerance, "dbias");
        }

        // The parameter gradients accumulate, and the input gradient may be skipped (the pixels).
        backend.Conv2dBackward(null, dw, db, dout, x, w, stride, padding);
        Check.Close(f["dweight"].Select(v => 2 * v).ToArray(), dw.ToArray(), Check.GradientTolerance, "dweight accumulated");
        if (db is not null)
        {
            Check.Close(f["dbias"].Select(v => 2 * v).ToArray(), db.ToArray(), Check.GradientTolerance, "dbias accumulated");
        }
    }

    private static void MaxPooling(IComputeBackend backend, string name)
    {
        var f = TorchFixture.Load(name);
        var x = f.Load(backend, "x");
        var (kernel, stride) = ((int)f.Scalar("kernel"), (int)f.Scalar("stride"));
        var output = backend.Allocate(f.Shape("out"));
        backend.MaxPool2dForward(output, x, kernel, stride);
        Check.Close(f["out"], output.ToArray(), 0, "out");
        var dx = backend.Allocate(f.Shape("x"));
        backend.Fill(dx, float.NaN);
        backend.MaxPool2dBackward(dx, f.Load(backend, "dout"), x, output, kernel, stride);
        Check.Close(f["dx"], dx.ToArray(), Check.ForwardTolerance, "dx (overwritten)");
    }

    /// <summary>Three blocks of a streaming softmax-weighted sum, the last written in place over its logits, against the
    /// CPU backend doing the same, and the result against the softmax over all blocks at once.</summary>
    private static void OnlineSoftmax(IComputeBackend backend)
    {
        const int N = 5, C = 7, D = 6, Blocks = 3;
        using var cpu = new CpuBackend();
        var logits = Random(Blocks * N * C, 21, 4f);
        var values = Random(Blocks * C * D, 22);
        var results = new (float[] Max, float[] Accumulator)[2];
        var backends = new IComputeBackend[] { backend, cpu };
        for (var k = 0; k < backends.Length; k++)
        {
            var be = backends[k];
            var max = be.Allocate(N);
            be.Fill(max, float.NegativeInfinity);
            var accumulator = be.Allocate(N, D);
            var weights = be.Allocate(N, C);
            for (var block = 0; block < Blocks; block++)
            {
                var l = Check.Upload(be, logits.AsSpan(block * N * C, N * C).ToArray(), N, C);
                var target = block == Blocks - 1 ? l : weights;
                be.OnlineSoftmaxStep(target, max, accumulator, l);
                be.MatMul(accumulator, target, false, Check.Upload(be, values.AsSpan(block * C * D, C * D).ToArray(), C, D), false, beta: 1f);
            }

            results[k] = (max.ToArray(), accumulator.ToArray());
        }

        Check.Close(results[1].Max, results[0].Max, 0, "running maximum against the CPU backend");
        Check.Close(results[1].Accumulator, results[0].Accumulator, Check.ForwardTolerance, "accumulator against the CPU backend");

        // Σ_j exp(l_j − m)·v_j over all blocks equals (Σ_j softmax(l)_j·v_j)·Σ_j exp(l_j − m).
        for (var i = 0; i < N; i++)
        {
            var m = results[0].Max[i];
            for (var e = 0; e < D; e++)
            {
                double expected = 0;
                for (var block = 0; block < Blocks; block++)
                {
                    for (var j = 0; j < C; j++)
                    {
                        expected += Math.Exp(logits[block * N * C + i * C + j] - m) * values[block * C * D + j * D + e];
                    }
                }

                Check.Close([(float)expected], [results[0].Accumulator[i * D + e]], Check.ForwardTolerance, $"row {i}, column {e} against the one-pass sum");
            }
        }
    }
}
