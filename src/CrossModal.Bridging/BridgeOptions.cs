using System;
using System.Collections.Generic;
using System.Linq;

namespace CrossModal.Bridging;

/// <summary>
/// Base of every strategy's options: plain settable properties with documented defaults, and a validation that
/// reports every invalid setting (used by the strategies' constructors and, through DI, at application start).
/// </summary>
public abstract class BridgeOptions
{
    /// <summary>Every problem with the current settings, one message per setting; empty when valid.</summary>
    public abstract IEnumerable<string> GetValidationErrors();

    /// <summary>Throws when <see cref="GetValidationErrors"/> reports anything.</summary>
    /// <exception cref="ArgumentException">At least one setting is invalid; the message lists them all.</exception>
    public void Validate()
    {
        var errors = GetValidationErrors().ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"{GetType().Name} is invalid: {string.Join("; ", errors)}", "options");
        }
    }

    /// <summary>Reports <paramref name="name"/> unless <paramref name="value"/> is finite and positive.</summary>
    protected static IEnumerable<string> RequirePositive(double value, string name)
    {
        if (!(double.IsFinite(value) && value > 0))
        {
            yield return $"{name} must be a finite number greater than 0 (got {value}).";
        }
    }

    /// <summary>Reports <paramref name="name"/> unless <paramref name="value"/> is finite and not negative.</summary>
    protected static IEnumerable<string> RequireNonNegative(double value, string name)
    {
        if (!(double.IsFinite(value) && value >= 0))
        {
            yield return $"{name} must be a finite number of at least 0 (got {value}).";
        }
    }
}
