using System;
using System.IO;

namespace CrossModal.Testing;

/// <summary>
/// Locates the repository (the folder holding CrossModal.sln) from a test or benchmark binary, so fixtures under
/// <c>data/</c> and <c>tests/reference/</c> are read in place. Compiled into every test project and the benchmarks
/// (Directory.Build.targets).
/// </summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> RootFolder = new(FindRoot);

    /// <summary>The repository root.</summary>
    public static string Root => RootFolder.Value;

    /// <summary>A path under <c>data/</c>.</summary>
    public static string Data(string relative) => Path.Combine(Root, "data", relative);

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CrossModal.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("CrossModal.sln not found above " + AppContext.BaseDirectory + " or the current directory.");
    }
}
