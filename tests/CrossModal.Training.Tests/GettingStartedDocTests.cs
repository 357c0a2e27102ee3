using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using CrossModal.Testing;
using Xunit;

namespace CrossModal.Training.Tests;

/// <summary>
/// docs/getting-started.md shows the program that .ci/consumer builds from the packages and runs
/// (tests/consumer/Program.cs): the page must show exactly that file, and install the version the build packs.
/// </summary>
public sealed partial class GettingStartedDocTests
{
    private const string Marker = "<!-- tests/consumer/Program.cs -->";

    private static string Page() => File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "getting-started.md"));

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');

    [Fact]
    public void The_page_shows_the_consumer_program_verbatim()
    {
        var page = Normalize(Page());
        var marker = page.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(marker >= 0, $"docs/getting-started.md has no '{Marker}' line before the program");
        var open = page.IndexOf("```csharp\n", marker, StringComparison.Ordinal);
        Assert.True(open >= 0, "no ```csharp block after the marker");
        var start = open + "```csharp\n".Length;
        var close = page.IndexOf("\n```", start, StringComparison.Ordinal);
        Assert.True(close >= 0, "the ```csharp block after the marker is not closed");
        var shown = page[start..close];

        var program = Normalize(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "tests", "consumer", "Program.cs")));

        Assert.Equal(program, shown);
    }

    [Fact]
    public void The_page_installs_the_packed_version_of_existing_packages()
    {
        var props = XDocument.Load(Path.Combine(RepositoryPaths.Root, "Directory.Build.props"));
        var version = props.Descendants("Version").Single().Value.Trim();
        var commands = AddPackage().Matches(Page());

        Assert.NotEmpty(commands);
        foreach (Match command in commands)
        {
            var package = command.Groups["package"].Value;
            Assert.True(
                File.Exists(Path.Combine(RepositoryPaths.Root, "src", package, package + ".csproj")),
                $"docs/getting-started.md adds '{package}', which is not a project under src/");
            Assert.Equal(version, command.Groups["version"].Value);
        }
    }

    [GeneratedRegex(@"dotnet add package (?<package>CrossModal\.[A-Za-z.]+) --version (?<version>\S+)")]
    private static partial Regex AddPackage();
}
