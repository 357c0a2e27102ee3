using System;
using CrossModal.Models.Captioning;
using CrossModal.Tensors;

namespace CrossModal.Training.Adversarial;

/// <summary>
/// The self-critical policy-gradient loss of CgT-GAN (Yu et al. 2023) and SCST (Rennie et al., CVPR 2017) on a prefix
/// captioner: per sampled caption i of L_i tokens (up to and including the end token) the length-normalised
/// log-probability <c>logp̄_i = (1/L_i)·Σ_t log p(y_t | prefix, y_&lt;t)</c>, and
/// <c>loss = (1/S)·Σ_i −(r_i − b_i)·logp̄_i</c>. It runs the decoder's ordinary teacher-forced forward pass and a
/// row-weighted cross-entropy (<see cref="IComputeBackend.WeightedCrossEntropyForward"/>) with weight
/// <c>(r_i − b_i)/(L_i·S)</c> on caption i's positions, so <see cref="Backward"/> fills the decoder's and the mapper's
/// gradients through the same path as maximum-likelihood training. No entropy or MLE term.
/// </summary>
public sealed class PolicyGradientLoss
{
    private const int IgnoreIndex = -100;

    private readonly PrefixLanguageModel _model;
    private int[] _targets = [];
    private float[] _weights = [];
    private float[] _positionLosses = [];
    private float[] _meanLogProbabilities = [];
    private int _count;
    private bool _ready;

    /// <summary>Creates the loss for a captioner.</summary>
    /// <param name="model">The generator; its training mode (dropout) is the caller's choice.</param>
    public PolicyGradientLoss(PrefixLanguageModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
    }

    /// <summary>The per-caption mean log-probabilities of the last <see cref="Forward"/>.</summary>
    public ReadOnlySpan<float> MeanLogProbabilities => _meanLogProbabilities.AsSpan(0, _count);

    /// <summary>Runs the captioner on S sampled captions and returns the loss.</summary>
    /// <param name="embeddings">(S, E) the embedding each caption was sampled from (one row per caption).</param>
    /// <param name="tokens">(S·Tc) row i holds caption i's L_i tokens (its end token last, unless it was cut at the
    /// length limit), then any valid ids as padding.</param>
    /// <param name="lengths">(S) L_i in [1, Tc].</param>
    /// <param name="advantages">(S) r_i − b_i.</param>
    /// <param name="tokenTime">Tc, with prefix length + Tc within the decoder's context.</param>
    /// <returns>(1/S)·Σ_i −(r_i − b_i)·logp̄_i.</returns>
    public float Forward(Tensor embeddings, ReadOnlySpan<int> tokens, ReadOnlySpan<int> lengths, ReadOnlySpan<float> advantages, int tokenTime)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        var s = lengths.Length;
        if (s == 0)
        {
            throw new ArgumentException("Expected at least one caption.", nameof(lengths));
        }

        if (advantages.Length != s)
        {
            throw new ArgumentException($"Expected {s} advantages (one per caption) but got {advantages.Length}.", nameof(advantages));
        }

        if (tokenTime <= 0 || tokens.Length != (long)s * tokenTime)
        {
            throw new ArgumentException($"Expected {s}×{tokenTime} tokens but got {tokens.Length}.", nameof(tokens));
        }

        var k = _model.PrefixLength;
        var t = k + tokenTime;
        var n = s * t;
        if (_targets.Length < n)
        {
            _targets = new int[n];
            _weights = new float[n];
            _positionLosses = new float[n];
        }

        if (_meanLogProbabilities.Length < s)
        {
            _meanLogProbabilities = new float[s];
        }

        var targets = _targets.AsSpan(0, n);
        var weights = _weights.AsSpan(0, n);
        targets.Fill(IgnoreIndex);
        weights.Clear();
        for (var i = 0; i < s; i++)
        {
            var length = lengths[i];
            if (length <= 0 || length > tokenTime)
            {
                throw new ArgumentOutOfRangeException(nameof(lengths), length, $"Caption {i}'s length must be in [1, {tokenTime}].");
            }

            if (!float.IsFinite(advantages[i]))
            {
                throw new ArgumentOutOfRangeException(nameof(advantages), advantages[i], $"Caption {i}'s advantage is not finite.");
            }

            // Position k − 1 + j (the last prefix vector, then the tokens) predicts token j.
            var w = advantages[i] / ((float)length * s);
            for (var j = 0; j < length; j++)
            {
                targets[(i * t) + k - 1 + j] = tokens[(i * tokenTime) + j];
                weights[(i * t) + k - 1 + j] = w;
            }
        }

        _model.Forward(embeddings, tokens, s, tokenTime);
        var transformer = _model.Decoder.Transformer;
        var loss = transformer.WeightedLoss(targets, weights, IgnoreIndex);
        _model.Backend.Download(_positionLosses.AsSpan(0, n), transformer.PositionLosses!);
        for (var i = 0; i < s; i++)
        {
            var sum = 0.0;
            for (var j = 0; j < lengths[i]; j++)
            {
                sum += _positionLosses[(i * t) + k - 1 + j];
            }

            _meanLogProbabilities[i] = (float)(-sum / lengths[i]);
        }

        _count = s;
        _ready = true;
        return loss;
    }

    /// <summary>Accumulates the loss's gradients into the decoder's and the mapper's parameter gradients.</summary>
    /// <exception cref="InvalidOperationException">No <see cref="Forward"/> came before.</exception>
    public void Backward()
    {
        if (!_ready)
        {
            throw new InvalidOperationException("PolicyGradientLoss.Backward needs a Forward first.");
        }

        _model.Backward();
        _ready = false;
    }
}
