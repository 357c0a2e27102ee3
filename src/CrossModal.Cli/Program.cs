using System.CommandLine;
using CrossModal.Cli.Commands;

namespace CrossModal.Cli;

/// <summary>Entry point of the <c>crossmodal</c> tool.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("CrossModal: learn cross-modal tasks (captioning) from uni-modal data.");
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ShapesCommand.Create());
        return root.Parse(args).Invoke();
    }
}
