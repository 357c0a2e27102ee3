using System.CommandLine;
using CrossModal.Cli.Commands;

namespace CrossModal.Cli;

/// <summary>Entry point of the <c>crossmodal</c> tool.</summary>
internal static class Program
{
    private static int Main(string[] args) => BuildRootCommand().Parse(args).Invoke();

    /// <summary>The whole command tree (tests invoke it in-process).</summary>
    internal static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("CrossModal: learn cross-modal tasks (captioning) from uni-modal data.");
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(EncodeCommand.Create());
        root.Subcommands.Add(TrainCaptionerCommand.Create());
        root.Subcommands.Add(CaptionCommand.Create());
        root.Subcommands.Add(ScoreCommand.Create());
        root.Subcommands.Add(TokenizeCommand.Create());
        root.Subcommands.Add(GapCommand.Create());
        root.Subcommands.Add(ShapesExperimentCommand.Configure(ShapesCommand.Create()));
        return root;
    }
}
