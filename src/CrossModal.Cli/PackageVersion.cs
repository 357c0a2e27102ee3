using System;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace CrossModal.Cli;

/// <summary>
/// <c>crossmodal --version</c>: prints the version of the CrossModal.Cli package the tool was installed from.
/// </summary>
internal static class PackageVersion
{
    /// <summary>
    /// The package version (e.g. <c>0.9.0</c>): the assembly's informational version without the <c>+commit</c> suffix
    /// that the build appends (the commit is still recorded in the package's repository metadata).
    /// </summary>
    internal static string Value { get; } = Read();

    /// <summary>Makes the root command's built-in <c>--version</c> option print <see cref="Value"/>.</summary>
    internal static void Configure(RootCommand root)
    {
        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintVersion();
            }
        }
    }

    private static string Read()
    {
        var assembly = typeof(PackageVersion).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            Console.Out.WriteLine(Value);
            return 0;
        }
    }
}
