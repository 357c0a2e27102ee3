using System;
using System.Collections.Generic;

namespace CrossModal.Training.Adversarial;

/// <summary>
/// CgT-GAN's λ_t of the generator loss <c>λ_t·L_CLIP + (1 − λ_t)·L_D</c>: 0 for the first <see cref="WarmupSteps"/>
/// steps (naturalness only), then rising linearly to <see cref="Final"/> over <see cref="RampSteps"/> steps.
/// </summary>
public sealed class RewardSchedule
{
    /// <summary>Steps with λ = 0; 150.</summary>
    public int WarmupSteps { get; set; } = 150;

    /// <summary>Steps of the linear ramp; 2,350.</summary>
    public int RampSteps { get; set; } = 2350;

    /// <summary>λ after the ramp; 0.5.</summary>
    public float Final { get; set; } = 0.5f;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupSteps, nameof(WarmupSteps));
        ArgumentOutOfRangeException.ThrowIfNegative(RampSteps, nameof(RampSteps));
        if (!(Final >= 0f && Final <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(Final), Final, "Expected λ in [0, 1].");
        }
    }

    /// <summary>λ at a step.</summary>
    /// <param name="step">The generator step, from 0.</param>
    public float Lambda(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
        {
            return 0f;
        }

        if (RampSteps == 0)
        {
            return Final;
        }

        return Final * Math.Min(1f, (float)(step - WarmupSteps) / RampSteps);
    }
}

/// <summary>A weighted sum of rewards, <c>Σ_k w_k·r_k</c>; the weights may be changed between steps.</summary>
public sealed class WeightedReward : IRewardFunction
{
    private readonly IRewardFunction[] _terms;
    private readonly float[] _weights;
    private float[] _scratch = [];

    /// <summary>Creates the sum.</summary>
    /// <param name="terms">The rewards and their weights.</param>
    public WeightedReward(params IReadOnlyList<(IRewardFunction Reward, float Weight)> terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (terms.Count == 0)
        {
            throw new ArgumentException("Expected at least one reward.", nameof(terms));
        }

        _terms = new IRewardFunction[terms.Count];
        _weights = new float[terms.Count];
        for (var k = 0; k < terms.Count; k++)
        {
            _terms[k] = terms[k].Reward ?? throw new ArgumentNullException(nameof(terms), $"Reward {k} is null.");
            SetWeight(k, terms[k].Weight);
        }
    }

    /// <inheritdoc />
    public string Name => string.Join('+', Array.ConvertAll(_terms, t => t.Name));

    /// <summary>The terms, in order.</summary>
    public IReadOnlyList<IRewardFunction> Terms => _terms;

    /// <summary>The weight of term <paramref name="index"/>.</summary>
    /// <param name="index">The term.</param>
    public float Weight(int index) => _weights[index];

    /// <summary>Sets the weight of term <paramref name="index"/>.</summary>
    /// <param name="index">The term.</param>
    /// <param name="weight">A finite weight.</param>
    public void SetWeight(int index, float weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _terms.Length);
        if (!float.IsFinite(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "Expected a finite weight.");
        }

        _weights[index] = weight;
    }

    /// <inheritdoc />
    public void Compute(Span<float> rewards, RewardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_scratch.Length < rewards.Length)
        {
            _scratch = new float[rewards.Length];
        }

        rewards.Clear();
        var scratch = _scratch.AsSpan(0, rewards.Length);
        for (var k = 0; k < _terms.Length; k++)
        {
            if (_weights[k] == 0f)
            {
                continue;
            }

            _terms[k].Compute(scratch, batch);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(scratch, _weights[k], rewards, rewards);
        }
    }

    /// <summary>CgT-GAN's combination: <c>λ_t·CLIP + (1 − λ_t)·discriminator</c> with λ_t from <paramref name="schedule"/> at <paramref name="step"/>.</summary>
    /// <param name="clip">The CLIP reward (term 0).</param>
    /// <param name="discriminator">The naturalness reward (term 1).</param>
    /// <param name="schedule">λ_t.</param>
    /// <param name="step">The generator step.</param>
    public static WeightedReward Scheduled(IRewardFunction clip, IRewardFunction discriminator, RewardSchedule schedule, int step)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var lambda = schedule.Lambda(step);
        return new WeightedReward((clip, lambda), (discriminator, 1f - lambda));
    }
}
