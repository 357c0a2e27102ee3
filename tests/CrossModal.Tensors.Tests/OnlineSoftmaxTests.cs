using System;
using CrossModal.Tensors.Cpu;
using Xunit;

namespace CrossModal.Tensors.Tests;

/// <summary>The streaming softmax step: blocks of logits folded in one at a time give the full softmax-weighted sum.</summary>
public class OnlineSoftmaxTests
{
    [Fact]
    public void Streaming_blocks_give_the_softmax_weighted_sum_of_all_columns()
    {
        const int n = 5, c = 23, d = 7, block = 8;
        var rng = new Random(3);
        var logits = new float[n * c];
        var values = new float[c * (d + 1)]; // a trailing column of ones accumulates the softmax denominator
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)(rng.NextDouble() * 40 - 20);
        }

        for (var j = 0; j < c; j++)
        {
            for (var k = 0; k < d; k++)
            {
                values[j * (d + 1) + k] = (float)(rng.NextDouble() * 2 - 1);
            }

            values[j * (d + 1) + d] = 1f;
        }

        var backend = CpuBackend.Default;
        var accumulator = backend.Allocate(n, d + 1);
        var runningMax = backend.Allocate(n);
        backend.Fill(runningMax, float.NegativeInfinity);
        var blockLogits = new float[n * block];
        for (var c0 = 0; c0 < c; c0 += block)
        {
            var cb = Math.Min(block, c - c0);
            for (var i = 0; i < n; i++)
            {
                Array.Copy(logits, i * c + c0, blockLogits, i * cb, cb);
            }

            var x = backend.Allocate(n, cb);
            x.CopyFrom(blockLogits.AsSpan(0, n * cb));
            var v = backend.Allocate(cb, d + 1);
            v.CopyFrom(values.AsSpan(c0 * (d + 1), cb * (d + 1)));
            backend.OnlineSoftmaxStep(weights: x, runningMax: runningMax, accumulator: accumulator, logits: x);
            backend.MatMul(accumulator, x, false, v, false, beta: 1f);
        }

        var acc = accumulator.ToArray();
        var max = runningMax.ToArray();
        for (var i = 0; i < n; i++)
        {
            // Naive twin in double: the full softmax over all c columns, then the weighted sum of the value rows.
            double rowMax = double.NegativeInfinity, sum = 0;
            for (var j = 0; j < c; j++)
            {
                rowMax = Math.Max(rowMax, logits[i * c + j]);
            }

            var expected = new double[d];
            for (var j = 0; j < c; j++)
            {
                var w = Math.Exp(logits[i * c + j] - rowMax);
                sum += w;
                for (var k = 0; k < d; k++)
                {
                    expected[k] += w * values[j * (d + 1) + k];
                }
            }

            Assert.Equal((float)rowMax, max[i]);
            for (var k = 0; k < d; k++)
            {
                var actual = acc[i * (d + 1) + k] / acc[i * (d + 1) + d];
                var reference = expected[k] / sum;
                Assert.True(Math.Abs(actual - reference) <= 1e-5 + 1e-4 * Math.Abs(reference), $"row {i}, column {k}: {actual} vs {reference}");
            }
        }
    }

    [Fact]
    public void The_first_block_zeroes_the_accumulator_and_sets_the_running_maximum()
    {
        var backend = CpuBackend.Default;
        var accumulator = backend.Allocate(1, 2);
        accumulator.CopyFrom([4f, 5f]);
        var runningMax = backend.Allocate(1);
        backend.Fill(runningMax, float.NegativeInfinity);
        var logits = backend.Allocate(1, 2);
        logits.CopyFrom([1f, 3f]);
        backend.OnlineSoftmaxStep(weights: logits, runningMax: runningMax, accumulator: accumulator, logits: logits);
        Assert.Equal(new[] { MathF.Exp(-2f), 1f }, logits.ToArray());
        Assert.Equal(new[] { 0f, 0f }, accumulator.ToArray());
        Assert.Equal(3f, runningMax.ToArray()[0]);
    }
}
