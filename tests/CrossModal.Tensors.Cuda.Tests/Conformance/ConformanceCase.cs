using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Tensors.IO;

namespace CrossModal.Tensors.Cuda.Tests.Conformance;

/// <summary>One conformance check, run against any <see cref="IComputeBackend"/>; throws <see cref="ConformanceException"/> on a mismatch.</summary>
/// <param name="Name">A stable name (test display and runner output).</param>
/// <param name="Run">The check.</param>
public sealed record ConformanceCase(string Name, Action<IComputeBackend> Run)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>A backend disagreed with the reference.</summary>
public sealed class ConformanceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConformanceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ConformanceException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ConformanceException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Closeness checks and fixture loading shared by the cases (no test framework, so a runner can use them).</summary>
internal static class Check
{
    /// <summary>Forward outputs against PyTorch or a double-precision reference, ‖a − ref‖/‖ref‖ (the CPU suite's bound).</summary>
    public const double ForwardTolerance = 1e-5;

    /// <summary>Gradients: a longer fp32 chain of reductions than the forward pass (the CPU suite's bound).</summary>
    public const double GradientTolerance = 1e-4;

    /// <summary>
    /// Per-step training losses of a backend against the CPU backend, relative. Loosened from the kernel bounds: a few
    /// AdamW steps amplify fp32 summation-order differences (the GPU reduces in a different order than the CPU).
    /// </summary>
    public const double TrainingLossTolerance = 1e-3;

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        if (expected.Length != actual.Length)
        {
            throw new ConformanceException($"{what}: expected {expected.Length} values, got {actual.Length}.");
        }

        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            if (!float.IsFinite(actual[i]) && actual[i] != expected[i])
            {
                throw new ConformanceException($"{what}: element {i} is {actual[i]}, expected {expected[i]}.");
            }

            var d = (double)actual[i] - expected[i];
            diff += d * d;
            norm += (double)expected[i] * expected[i];
        }

        var error = norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
        if (!(error <= tolerance))
        {
            throw new ConformanceException($"{what}: relative error {error:E2} exceeds {tolerance:E0}.");
        }
    }

    public static void Equal<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            throw new ConformanceException($"{what}: expected {expected}, got {actual}.");
        }
    }

    public static void Throws<TException>(Action action, string what)
        where TException : Exception
    {
        try
        {
            action();
        }
        catch (TException)
        {
            return;
        }
        catch (Exception e)
        {
            throw new ConformanceException($"{what}: expected {typeof(TException).Name} but got {e.GetType().Name}: {e.Message}", e);
        }

        throw new ConformanceException($"{what}: expected {typeof(TException).Name} but nothing was thrown.");
    }

    public static Tensor Upload(IComputeBackend backend, float[] values, params int[] shape)
    {
        var t = backend.Allocate(shape);
        t.CopyFrom(values);
        return t;
    }
}

/// <summary>A PyTorch fixture of tests/reference/make_nn_fixtures.py, copied next to the binaries under <c>fixtures/nn</c>.</summary>
internal sealed class TorchFixture
{
    private readonly IReadOnlyDictionary<string, HostArray> _tensors;

    private TorchFixture(string name, IReadOnlyDictionary<string, HostArray> tensors)
    {
        Name = name;
        _tensors = tensors;
    }

    public string Name { get; }

    public float[] this[string name] => Get(name).Data;

    public static TorchFixture Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", "nn", name + ".safetensors");
        return new TorchFixture(name, SafeTensorsFile.Read(path).Tensors);
    }

    public int[] Shape(string name) => Get(name).Shape;

    public bool Has(string name) => _tensors.ContainsKey(name);

    public int[] Ints(string name) => Array.ConvertAll(this[name], v => checked((int)v));

    public float Scalar(string name) => this[name][0];

    public Tensor Load(IComputeBackend backend, string name) => Check.Upload(backend, this[name], Shape(name));

    private HostArray Get(string name)
        => _tensors.TryGetValue(name, out var t) ? t : throw new ConformanceException($"Fixture {Name} has no tensor '{name}'.");
}
