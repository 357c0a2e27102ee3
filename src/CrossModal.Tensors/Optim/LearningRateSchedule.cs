using System;

namespace CrossModal.Tensors.Optim;

/// <summary>A learning rate as a function of the step index (0 for the first step).</summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate of step <paramref name="step"/>.</summary>
    /// <param name="step">Step index from 0.</param>
    public abstract float At(int step);

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0.</summary>
    /// <param name="value">A rate.</param>
    /// <param name="name">Its argument name.</param>
    private protected static void CheckRate(float value, string name)
    {
        if (!(value >= 0f) || float.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "Expected a finite learning rate ≥ 0.");
        }
    }
}

/// <summary>The same rate at every step.</summary>
public sealed class ConstantSchedule : LearningRateSchedule
{
    private readonly float _rate;

    /// <summary>Creates the schedule.</summary>
    /// <param name="rate">The rate.</param>
    public ConstantSchedule(float rate)
    {
        CheckRate(rate, nameof(rate));
        _rate = rate;
    }

    /// <inheritdoc />
    public override float At(int step) => _rate;
}

/// <summary>
/// Linear warm-up from 0 to the peak over <c>warmupSteps</c> (step s gets peak·(s + 1)/warmup, as llm.c), then
/// linear decay to <c>finalRate</c> at <c>totalSteps</c>, constant after.
/// </summary>
public sealed class LinearWarmupDecaySchedule : LearningRateSchedule
{
    private readonly float _peak;
    private readonly float _final;
    private readonly int _warmup;
    private readonly int _total;

    /// <summary>Creates the schedule.</summary>
    /// <param name="peakRate">Rate at the end of warm-up.</param>
    /// <param name="warmupSteps">Warm-up length (≥ 0).</param>
    /// <param name="totalSteps">Step at which the final rate is reached (&gt; warm-up).</param>
    /// <param name="finalRate">Rate at and after <paramref name="totalSteps"/>.</param>
    public LinearWarmupDecaySchedule(float peakRate, int warmupSteps, int totalSteps, float finalRate = 0f)
    {
        CheckRate(peakRate, nameof(peakRate));
        CheckRate(finalRate, nameof(finalRate));
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(totalSteps, warmupSteps);
        (_peak, _final, _warmup, _total) = (peakRate, finalRate, warmupSteps, totalSteps);
    }

    /// <inheritdoc />
    public override float At(int step)
    {
        if (step < _warmup)
        {
            return _peak * (step + 1) / _warmup;
        }

        var progress = Math.Min(1f, (float)(step - _warmup) / (_total - _warmup));
        return _peak + ((_final - _peak) * progress);
    }
}

/// <summary>
/// Linear warm-up as <see cref="LinearWarmupDecaySchedule"/>, then cosine decay (Loshchilov and Hutter, 2017, SGDR):
/// <c>min + ½(peak − min)(1 + cos(π·progress))</c>, reaching <c>minRate</c> at <c>totalSteps</c>.
/// </summary>
public sealed class CosineWarmupSchedule : LearningRateSchedule
{
    private readonly float _peak;
    private readonly float _min;
    private readonly int _warmup;
    private readonly int _total;

    /// <summary>Creates the schedule.</summary>
    /// <param name="peakRate">Rate at the end of warm-up.</param>
    /// <param name="warmupSteps">Warm-up length (≥ 0).</param>
    /// <param name="totalSteps">Step at which the minimum is reached (&gt; warm-up).</param>
    /// <param name="minRate">Rate at and after <paramref name="totalSteps"/>.</param>
    public CosineWarmupSchedule(float peakRate, int warmupSteps, int totalSteps, float minRate = 0f)
    {
        CheckRate(peakRate, nameof(peakRate));
        CheckRate(minRate, nameof(minRate));
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(totalSteps, warmupSteps);
        (_peak, _min, _warmup, _total) = (peakRate, minRate, warmupSteps, totalSteps);
    }

    /// <inheritdoc />
    public override float At(int step)
    {
        if (step < _warmup)
        {
            return _peak * (step + 1) / _warmup;
        }

        var progress = Math.Min(1.0, (double)(step - _warmup) / (_total - _warmup));
        return (float)(_min + (0.5 * (_peak - _min) * (1.0 + Math.Cos(Math.PI * progress))));
    }
}
