using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace CrossModal.Tensors.Cuda;

/// <summary>
/// Finds and loads the NVIDIA native libraries, once per process: the driver (<c>libcuda.so.1</c>, which ILGPU
/// imports as <c>cuda</c> and which machines without the development symlink only have under its versioned name) and
/// cuBLAS (<c>libcublas.so.13</c> or <c>.12</c> from the system, the CUDA toolkit or a PyTorch wheel's
/// <c>nvidia/…/lib</c> folder, or the file or folder named by <see cref="CublasPathVariable"/>).
/// </summary>
public static class CudaLibraries
{
    /// <summary>Environment variable naming a cuBLAS library file, or a folder holding one, to use before any other.</summary>
    public const string CublasPathVariable = "CROSSMODAL_CUBLAS_PATH";

    private static readonly object Gate = new();
    private static bool s_driverTried;
    private static IntPtr s_driver;
    private static string? s_driverError;
    private static bool s_cublasTried;
    private static IntPtr s_cublas;
    private static string? s_cublasPath;
    private static string? s_cublasError;

    /// <summary>The driver library's handle, or zero with <paramref name="error"/> saying why.</summary>
    /// <param name="error">Why the driver could not be loaded; null on success.</param>
    internal static IntPtr LoadDriver(out string? error)
    {
        lock (Gate)
        {
            if (!s_driverTried)
            {
                s_driverTried = true;
                string[] names = OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"];
                foreach (var name in names)
                {
                    if (NativeLibrary.TryLoad(name, out s_driver))
                    {
                        break;
                    }
                }

                if (s_driver == IntPtr.Zero)
                {
                    s_driverError = $"the NVIDIA driver library ({string.Join(" or ", names)}) was not found: no NVIDIA driver is installed or it is not on the loader's path";
                }
                else
                {
                    RouteIlgpuToDriver();
                }
            }

            error = s_driverError;
            return s_driver;
        }
    }

    /// <summary>The cuBLAS library's handle and path, or zero with <paramref name="error"/> listing what was tried.</summary>
    /// <param name="path">The file loaded; null on failure.</param>
    /// <param name="error">What was tried; null on success.</param>
    internal static IntPtr LoadCublas(out string? path, out string? error)
    {
        lock (Gate)
        {
            if (!s_cublasTried)
            {
                s_cublasTried = true;
                var tried = new List<string>();
                foreach (var (candidate, lt) in CublasCandidates())
                {
                    tried.Add(candidate);
                    if (Path.IsPathRooted(candidate) && !File.Exists(candidate))
                    {
                        continue;
                    }

                    // libcublas needs libcublasLt of the same release; load it first so the loader finds it even when the
                    // folder is not on the library path (wheel folders are not).
                    if (lt is not null && (!Path.IsPathRooted(lt) || File.Exists(lt)))
                    {
                        NativeLibrary.TryLoad(lt, out _);
                    }

                    if (NativeLibrary.TryLoad(candidate, out s_cublas))
                    {
                        s_cublasPath = candidate;
                        break;
                    }
                }

                if (s_cublas == IntPtr.Zero)
                {
                    s_cublasError = $"cuBLAS was not found (tried {string.Join(", ", tried)}; set {CublasPathVariable} to its file or folder)";
                }
            }

            path = s_cublasPath;
            error = s_cublasError;
            return s_cublas;
        }
    }

    private static IEnumerable<(string Library, string? Lt)> CublasCandidates()
    {
        var overridePath = Environment.GetEnvironmentVariable(CublasPathVariable);
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            if (Directory.Exists(overridePath))
            {
                foreach (var version in new[] { "13", "12" })
                {
                    yield return (Path.Combine(overridePath, "libcublas.so." + version), Path.Combine(overridePath, "libcublasLt.so." + version));
                }
            }
            else
            {
                yield return (overridePath, null);
            }
        }

        if (OperatingSystem.IsWindows())
        {
            yield return ("cublas64_13.dll", "cublasLt64_13.dll");
            yield return ("cublas64_12.dll", "cublasLt64_12.dll");
            yield break;
        }

        yield return ("libcublas.so.13", "libcublasLt.so.13");
        yield return ("libcublas.so.12", "libcublasLt.so.12");
        foreach (var toolkit in new[] { "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib" })
        {
            foreach (var version in new[] { "13", "12" })
            {
                yield return (Path.Combine(toolkit, "libcublas.so." + version), Path.Combine(toolkit, "libcublasLt.so." + version));
            }
        }

        foreach (var sitePackages in SitePackages())
        {
            var cu13 = Path.Combine(sitePackages, "nvidia", "cu13", "lib");
            yield return (Path.Combine(cu13, "libcublas.so.13"), Path.Combine(cu13, "libcublasLt.so.13"));
            var cublas = Path.Combine(sitePackages, "nvidia", "cublas", "lib");
            foreach (var version in new[] { "13", "12" })
            {
                yield return (Path.Combine(cublas, "libcublas.so." + version), Path.Combine(cublas, "libcublasLt.so." + version));
            }
        }
    }

    /// <summary>Python package folders where PyTorch's CUDA wheels put the NVIDIA libraries.</summary>
    private static IEnumerable<string> SitePackages()
    {
        var roots = new List<string> { "/usr/local/lib", "/usr/lib", "/opt/conda/lib" };
        foreach (var variable in new[] { "VIRTUAL_ENV", "CONDA_PREFIX" })
        {
            var value = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrEmpty(value))
            {
                roots.Insert(0, Path.Combine(value, "lib"));
            }
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home))
        {
            roots.Add(Path.Combine(home, ".local", "lib"));
        }

        foreach (var root in roots)
        {
            string[] pythons;
            try
            {
                pythons = Directory.Exists(root) ? Directory.GetDirectories(root, "python3*") : [];
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            Array.Sort(pythons, StringComparer.Ordinal);
            foreach (var python in pythons)
            {
                yield return Path.Combine(python, "site-packages");
                yield return Path.Combine(python, "dist-packages");
            }
        }
    }

    /// <summary>ILGPU imports the driver as <c>cuda</c>; hand it the handle loaded here (by its versioned name).</summary>
    private static void RouteIlgpuToDriver()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(ILGPU.Context).Assembly, ResolveDriver);
        }
        catch (InvalidOperationException)
        {
            // ILGPU set its own resolver (it does on WSL); its own probing applies then.
        }
    }

    private static IntPtr ResolveDriver(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        => libraryName is "cuda" or "nvcuda" or "libcuda" ? s_driver : IntPtr.Zero;
}
