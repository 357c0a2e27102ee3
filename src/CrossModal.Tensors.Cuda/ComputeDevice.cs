using System;
using System.Globalization;
using CrossModal.Tensors.Cpu;

namespace CrossModal.Tensors.Cuda;

/// <summary>Which hardware a command line asked for.</summary>
public enum ComputeDeviceKind
{
    /// <summary>The managed CPU backend.</summary>
    Cpu,

    /// <summary>An NVIDIA GPU through <see cref="CudaBackend"/>.</summary>
    Cuda,
}

/// <summary>
/// A <c>--device</c> value as PyTorch spells it: <c>cpu</c>, <c>cuda</c> (device 0) or <c>cuda:N</c>.
/// </summary>
/// <param name="Kind">CPU or CUDA.</param>
/// <param name="Index">The CUDA device index (0 for the CPU).</param>
public sealed record ComputeDevice(ComputeDeviceKind Kind, int Index)
{
    /// <summary>The CPU.</summary>
    public static ComputeDevice Cpu { get; } = new(ComputeDeviceKind.Cpu, 0);

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (case-insensitive); throws <see cref="ArgumentException"/> naming the accepted forms.</summary>
    /// <param name="text">The option's value.</param>
    public static ComputeDevice Parse(string text)
        => TryParse(text, out var device) ? device : throw new ArgumentException($"'{text}' is not a device: expected cpu, cuda or cuda:N (N = 0, 1, …).", nameof(text));

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; false for anything else.</summary>
    /// <param name="text">The option's value.</param>
    /// <param name="device">The device; null on failure.</param>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ComputeDevice? device)
    {
        device = null;
        var value = text?.Trim();
        if (string.Equals(value, "cpu", StringComparison.OrdinalIgnoreCase))
        {
            device = Cpu;
        }
        else if (string.Equals(value, "cuda", StringComparison.OrdinalIgnoreCase))
        {
            device = new ComputeDevice(ComputeDeviceKind.Cuda, 0);
        }
        else if (value is not null && value.StartsWith("cuda:", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(value.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            device = new ComputeDevice(ComputeDeviceKind.Cuda, index);
        }

        return device is not null;
    }

    /// <summary>
    /// A backend on this device: <see cref="CpuBackend.Default"/> for the CPU (shared; disposing it is a no-op), a new
    /// <see cref="CudaBackend"/> for CUDA (the caller disposes it). Throws <see cref="InvalidOperationException"/> with
    /// the reason when the GPU cannot be used.
    /// </summary>
    /// <param name="options">CUDA options (the device index is taken from this device); ignored for the CPU.</param>
    public IComputeBackend CreateBackend(CudaBackendOptions? options = null)
    {
        if (Kind == ComputeDeviceKind.Cpu)
        {
            return CpuBackend.Default;
        }

        var cuda = options ?? new CudaBackendOptions();
        cuda.DeviceIndex = Index;
        return new CudaBackend(cuda);
    }

    /// <inheritdoc />
    public override string ToString() => Kind == ComputeDeviceKind.Cpu ? "cpu" : string.Create(CultureInfo.InvariantCulture, $"cuda:{Index}");
}
