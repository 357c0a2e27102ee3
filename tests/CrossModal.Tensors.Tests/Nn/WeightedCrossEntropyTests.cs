using System;
using CrossModal.Tensors.Cpu.Kernels;
using Xunit;

namespace CrossModal.Tensors.Tests.Nn;

/// <summary>The row-weighted cross-entropy kernel (policy-gradient loss) against a naive scalar twin and the plain kernel.</summary>
public class WeightedCrossEntropyTests
{
    private const float Atol = 1e-6f;
    private const float Rtol = 1e-5f;

    private static (float[] Logits, int[] Targets, float[] Weights) Inputs(int n, int v, int seed)
    {
        var rng = new Random(seed);
        var logits = new float[n * v];
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)((rng.NextDouble() * 8) - 4);
        }

        var targets = new int[n];
        var weights = new float[n];
        for (var i = 0; i < n; i++)
        {
            targets[i] = i % 4 == 3 ? -100 : rng.Next(v);
            weights[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return (logits, targets, weights);
    }

    // Slow twin: log-sum-exp in double, one row at a time.
    private static (double Loss, float[] DLogits) Reference(float[] logits, int[] targets, float[] weights, int n, int v, float dLoss)
    {
        double total = 0;
        var d = new float[n * v];
        for (var i = 0; i < n; i++)
        {
            if (targets[i] == -100)
            {
                continue;
            }

            var max = double.NegativeInfinity;
            for (var j = 0; j < v; j++)
            {
                max = Math.Max(max, logits[(i * v) + j]);
            }

            double sum = 0;
            for (var j = 0; j < v; j++)
            {
                sum += Math.Exp(logits[(i * v) + j] - max);
            }

            var lse = max + Math.Log(sum);
            total += weights[i] * (lse - logits[(i * v) + targets[i]]);
            for (var j = 0; j < v; j++)
            {
                var p = Math.Exp(logits[(i * v) + j] - lse);
                d[(i * v) + j] = (float)(dLoss * weights[i] * (p - (j == targets[i] ? 1 : 0)));
            }
        }

        return (total, d);
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(13, 50)]
    [InlineData(64, 257)]
    public void Forward_and_backward_match_the_scalar_twin(int n, int v)
    {
        var (logits, targets, weights) = Inputs(n, v, n + v);
        var losses = new float[n];
        var lse = new float[n];
        var loss = WeightedCrossEntropy.Forward(losses, lse, logits, targets, weights, n, v, -100);
        var (expected, expectedD) = Reference(logits, targets, weights, n, v, 0.7f);
        Assert.True(Math.Abs(loss - expected) <= Atol + (Rtol * Math.Abs(expected)), $"loss {loss} vs {expected}");
        var d = new float[n * v];
        WeightedCrossEntropy.Backward(d, logits, lse, targets, weights, n, v, -100, 0.7f);
        Assertions.Close(expectedD, d, Atol, Rtol, "dLogits");
    }

    [Fact]
    public void Uniform_weights_of_one_over_the_count_give_the_mean_cross_entropy()
    {
        const int n = 12, v = 20;
        var (logits, targets, _) = Inputs(n, v, 9);
        var scored = Array.FindAll(targets, t => t != -100).Length;
        var weights = new float[n];
        Array.Fill(weights, 1f / scored);
        var mean = CrossEntropy.Forward(new float[n], new float[n], logits, targets, n, v, -100, 0f);
        var weighted = WeightedCrossEntropy.Forward(new float[n], new float[n], logits, targets, weights, n, v, -100);
        Assert.Equal(mean, weighted, 5);
    }

    [Fact]
    public void Target_outside_the_vocabulary_is_an_argument_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightedCrossEntropy.Forward(new float[1], new float[1], new float[3], [3], [1f], 1, 3, -100));
        Assert.Throws<ArgumentException>(() => WeightedCrossEntropy.Forward(new float[1], new float[1], new float[3], [1], [], 1, 3, -100));
    }
}
