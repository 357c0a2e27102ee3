using System;
using System.CommandLine;
using System.IO;
using CrossModal.Cli.Commands;

namespace CrossModal.Cli;

/// <summary>Entry point of the <c>crossmodal</c> tool.</summary>
internal static class Program
{
    /// <summary>
    /// The global <c>--verbose</c> option: failures that are not bad input print their full stack trace.
    /// </summary>
    internal static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "On an internal error, print the full stack trace.",
        Recursive = true,
    };

    private static int Main(string[] args) => Run(args, Console.Error);

    /// <summary>
    /// Parses and runs <paramref name="args"/>, mapping every failure to an exit code and stderr output in one place
    /// (<see cref="CommandLineError.Report"/>); tests invoke it in-process.
    /// </summary>
    internal static int Run(string[] args, TextWriter error) => Run(BuildRootCommand(), args, error);

    /// <summary>Runs <paramref name="args"/> against <paramref name="root"/> with the tool's error mapping.</summary>
    internal static int Run(RootCommand root, string[] args, TextWriter error)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            return CommandLineError.ReportParseErrors(parse.Errors, error);
        }

        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return CommandLineError.Report(e, parse.GetValue(Verbose), error);
        }
    }

    /// <summary>The whole command tree.</summary>
    internal static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("CrossModal: learn cross-modal tasks (captioning) from uni-modal data.");
        root.Options.Add(Verbose);
        PackageVersion.Configure(root);
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(EncodeCommand.Create());
        root.Subcommands.Add(TrainCaptionerCommand.Create());
        root.Subcommands.Add(CaptionCommand.Create());
        root.Subcommands.Add(TrainAdversarialCommand.Create());
        root.Subcommands.Add(ScoreCommand.Create());
        root.Subcommands.Add(TokenizeCommand.Create());
        root.Subcommands.Add(GapCommand.Create());
        root.Subcommands.Add(ShapesExperimentCommand.Configure(ShapesCommand.Create()));
        return root;
    }
}
