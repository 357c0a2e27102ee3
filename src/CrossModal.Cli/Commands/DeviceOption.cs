using System;
using System.CommandLine;
using CrossModal.Tensors;
using CrossModal.Tensors.Cuda;

namespace CrossModal.Cli.Commands;

/// <summary>
/// The shared <c>--device cpu|cuda|cuda:N</c> option (PyTorch's spelling) and the one place that turns its value into a
/// compute backend, so every command reports a bad value or a missing GPU the same way.
/// </summary>
internal static class DeviceOption
{
    /// <summary>A new <c>--device</c> option; the default is <c>cpu</c>.</summary>
    public static Option<string> Create() => new("--device")
    {
        Description = "Where to compute: cpu, cuda (device 0) or cuda:N.",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>Parses the option's value; a value that names no device is a <see cref="CommandLineError"/>.</summary>
    public static ComputeDevice Parse(string? value)
        => ComputeDevice.TryParse(value, out var device)
            ? device
            : throw new CommandLineError($"--device: expected cpu, cuda or cuda:N but got '{value}'.");

    /// <summary>
    /// The backend the option asks for: <c>CpuBackend.Default</c> (shared; disposing it is a no-op) or a new
    /// <see cref="CudaBackend"/> the caller disposes. A GPU that cannot be used is bad input (exit 2), reported in one
    /// line with the missing piece (driver, device or cuBLAS) — the user fixes it by installing it or choosing the CPU.
    /// </summary>
    public static IComputeBackend CreateBackend(ParseResult parse, Option<string> option)
    {
        var device = Parse(parse.GetValue(option));
        if (device.Kind == ComputeDeviceKind.Cpu)
        {
            return device.CreateBackend();
        }

        return CudaBackend.TryCreate(out var backend, out var reason, new CudaBackendOptions { DeviceIndex = device.Index })
            ? backend
            : throw new CommandLineError($"--device {device}: {reason}");
    }
}
