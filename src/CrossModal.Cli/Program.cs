using System.CommandLine;
using CrossModal.Cli.Commands;

namespace CrossModal.Cli;

/// <summary>Entry point of the <c>crossmodal</c> tool.</summary>
internal static class Program
{
    private static int Main(string[] args) => BuildRootCommand().Parse(args).Invoke();

    /// <summary>The whole command tree (also used by the in-process CLI tests).</summary>
    internal static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("CrossModal: learn cross-modal tasks (captioning) from uni-modal data.");
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(GapCommand.Create());
        return root;
    }
}
