using System;
using System.Reflection;
using System.Xml.Linq;
using CrossModal.Testing;
using Xunit;

namespace CrossModal.Cli.Tests;

/// <summary><c>crossmodal --version</c> prints the package version alone (no build-commit suffix).</summary>
[Collection("Console")]
public sealed class VersionOptionTests
{
    [Fact]
    public void Version_prints_the_package_version_from_the_build_props()
    {
        var props = XDocument.Load(System.IO.Path.Combine(RepositoryPaths.Root, "Directory.Build.props"));
        string? expected = null;
        foreach (var element in props.Descendants("Version"))
        {
            expected = element.Value.Trim();
        }

        var result = ConsoleCapture.Run("--version");

        Assert.Equal(0, result.ExitCode);
        Assert.NotNull(expected);
        Assert.Equal(expected + Environment.NewLine, result.Out);
        Assert.Equal(string.Empty, result.Error);
    }

    [Fact]
    public void The_printed_version_is_the_informational_version_without_the_build_commit()
    {
        var informational = typeof(PackageVersion).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        Assert.StartsWith(PackageVersion.Value, informational, StringComparison.Ordinal);
        Assert.DoesNotContain('+', PackageVersion.Value);
    }
}
