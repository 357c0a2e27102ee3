using System;
using System.IO;

namespace CrossModal.Text.Tests;

/// <summary>Locates files under the repository's data/ folder (walks up from the test binary to CrossModal.sln).</summary>
internal static class RepoData
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "CrossModal.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("CrossModal.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Path(string relative) => System.IO.Path.Combine(Root.Value, "data", relative);
}
