using System.CommandLine;

namespace CrossModal.Cli.Commands;

/// <summary><c>crossmodal bench …</c>: in-process speed measurements.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure the speed of CrossModal's kernels and training steps on this machine.");
        bench.Subcommands.Add(BenchGemmCommand.Create());
        bench.Subcommands.Add(BenchProjectionCommand.Create());
        bench.Subcommands.Add(BenchTrainCommand.Create());
        bench.Subcommands.Add(BenchClipCommand.Create());
        bench.Subcommands.Add(BenchTrainPrefixLmCommand.Create());
        bench.Subcommands.Add(BenchAdversarialCommand.Create());
        bench.Subcommands.Add(BenchShapesClipCommand.Create());
        return bench;
    }
}
