using System;
using System.IO;

namespace CrossModal.Benchmarks;

/// <summary>Locates files under the repository's data/ folder (walks up from the binary to CrossModal.sln).</summary>
internal static class RepoData
{
    public static string File(string relative)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !System.IO.File.Exists(Path.Combine(directory.FullName, "CrossModal.sln")))
        {
            directory = directory.Parent;
        }

        return directory is null
            ? throw new InvalidOperationException("CrossModal.sln not found above " + AppContext.BaseDirectory)
            : Path.Combine(directory.FullName, "data", relative);
    }
}
