using System;

namespace CrossModal.Models.Adversarial;

/// <summary>
/// Binary cross-entropy with logits, PyTorch's <c>F.binary_cross_entropy_with_logits</c> with mean reduction:
/// <c>mean_i [max(z_i, 0) − z_i·y_i + log(1 + exp(−|z_i|))]</c>, the discriminator's loss with y = 1 for corpus
/// sentences and y = 0 for generated captions. The logits are one per sequence, so this runs on the host.
/// </summary>
public static class BinaryCrossEntropy
{
    /// <summary>The mean loss.</summary>
    /// <param name="logits">(N) raw scores z.</param>
    /// <param name="labels">(N) targets y in [0, 1].</param>
    public static float Forward(ReadOnlySpan<float> logits, ReadOnlySpan<float> labels)
    {
        Check(logits, labels);
        double total = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            double z = logits[i];
            total += Math.Max(z, 0) - (z * labels[i]) + Math.Log(1 + Math.Exp(-Math.Abs(z)));
        }

        return (float)(total / logits.Length);
    }

    /// <summary>Gradient of <paramref name="dLoss"/> times the mean loss: <c>dLogits_i = dLoss·(σ(z_i) − y_i) / N</c>.</summary>
    /// <param name="dLogits">(N) overwritten.</param>
    /// <param name="logits">(N) raw scores z.</param>
    /// <param name="labels">(N) targets y.</param>
    /// <param name="dLoss">Gradient of the mean loss.</param>
    public static void Backward(Span<float> dLogits, ReadOnlySpan<float> logits, ReadOnlySpan<float> labels, float dLoss = 1f)
    {
        Check(logits, labels);
        if (dLogits.Length != logits.Length)
        {
            throw new ArgumentException($"Expected {logits.Length} gradient slots but got {dLogits.Length}.", nameof(dLogits));
        }

        var scale = dLoss / logits.Length;
        for (var i = 0; i < logits.Length; i++)
        {
            var sigmoid = 1.0 / (1.0 + Math.Exp(-logits[i]));
            dLogits[i] = (float)((sigmoid - labels[i]) * scale);
        }
    }

    private static void Check(ReadOnlySpan<float> logits, ReadOnlySpan<float> labels)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("Expected at least one logit.", nameof(logits));
        }

        if (labels.Length != logits.Length)
        {
            throw new ArgumentException($"Expected {logits.Length} labels but got {labels.Length}.", nameof(labels));
        }
    }
}
