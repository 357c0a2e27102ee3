using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace CrossModal.Tensors.Cuda;

/// <summary>One CUDA device as the driver reports it.</summary>
/// <param name="Index">Driver ordinal.</param>
/// <param name="Name">Marketing name, e.g. <c>NVIDIA H200</c>.</param>
/// <param name="ComputeCapability">e.g. <c>9.0</c>.</param>
public sealed record CudaDeviceDescription(int Index, string Name, string ComputeCapability);

/// <summary>
/// What the NVIDIA driver reports, probed directly (ILGPU filters devices out silently when initialisation fails, so
/// this is how the backend says what is missing).
/// </summary>
public sealed class CudaDriverInfo
{
    private CudaDriverInfo(string? error, int driverVersion, IReadOnlyList<CudaDeviceDescription> devices)
    {
        Error = error;
        DriverVersion = driverVersion;
        Devices = devices;
    }

    /// <summary>Why no device can be used (no driver, cuInit failed, no device); null when at least one is present.</summary>
    public string? Error { get; }

    /// <summary>The CUDA version the driver supports, as <c>major·1000 + minor·10</c> (e.g. 12090); 0 when unknown.</summary>
    public int DriverVersion { get; }

    /// <summary>The driver's version as <c>major.minor</c>, or "none".</summary>
    public string DriverVersionText => DriverVersion == 0
        ? "none"
        : string.Create(CultureInfo.InvariantCulture, $"{DriverVersion / 1000}.{DriverVersion % 1000 / 10}");

    /// <summary>The devices found.</summary>
    public IReadOnlyList<CudaDeviceDescription> Devices { get; }

    /// <summary>Loads the driver, initialises it and lists its devices; never throws.</summary>
    public static unsafe CudaDriverInfo Probe()
    {
        if (!NativeMethods.TryBindDriver(out var error))
        {
            return new CudaDriverInfo(error, 0, []);
        }

        int version = 0;
        NativeMethods.CuDriverGetVersion(&version);
        var result = NativeMethods.CuInit(0);
        if (result != NativeMethods.CudaSuccess)
        {
            return new CudaDriverInfo($"cuInit failed with {NativeMethods.CudaErrorName(result)} (driver supports CUDA {version / 1000}.{version % 1000 / 10})", version, []);
        }

        int count = 0;
        result = NativeMethods.CuDeviceGetCount(&count);
        if (result != NativeMethods.CudaSuccess || count == 0)
        {
            return new CudaDriverInfo(result != NativeMethods.CudaSuccess ? $"cuDeviceGetCount failed with {NativeMethods.CudaErrorName(result)}" : "the NVIDIA driver reports no CUDA device", version, []);
        }

        var devices = new List<CudaDeviceDescription>(count);
        var name = stackalloc byte[256];
        for (var i = 0; i < count; i++)
        {
            int device = 0, major = 0, minor = 0;
            NativeMethods.CuDeviceGet(&device, i);
            NativeMethods.CuDeviceGetName(name, 256, device);
            NativeMethods.CuDeviceGetAttribute(&major, NativeMethods.CuDeviceAttributeComputeCapabilityMajor, device);
            NativeMethods.CuDeviceGetAttribute(&minor, NativeMethods.CuDeviceAttributeComputeCapabilityMinor, device);
            var length = 0;
            while (length < 256 && name[length] != 0)
            {
                length++;
            }

            devices.Add(new CudaDeviceDescription(i, Encoding.UTF8.GetString(name, length), string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}")));
        }

        return new CudaDriverInfo(null, version, devices);
    }

    /// <inheritdoc />
    public override string ToString()
        => Error is not null
            ? $"driver {DriverVersionText}: {Error}"
            : $"driver {DriverVersionText}, {Devices.Count} device(s): {string.Join("; ", Devices)}";
}
