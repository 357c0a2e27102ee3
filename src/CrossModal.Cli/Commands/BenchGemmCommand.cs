using System.CommandLine;

namespace CrossModal.Cli.Commands;

/// <summary><c>crossmodal bench gemm</c>: FMA peak, managed GEMM and OpenBLAS GFLOP/s.</summary>
internal static class BenchGemmCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var threads = new Option<int?>("--threads") { Description = "Threads to use (default: all cores)." };
        var command = new Command("gemm", "Measure fp32 FMA peak, the managed GEMM and OpenBLAS (if present).") { json, threads };
        command.SetAction(parse => CommandLineError.Run(() => 0));
        return command;
    }
}
