using System;
using System.IO;
using System.Threading;

namespace CrossModal.Cli.Tests;

/// <summary>
/// Runs the <c>crossmodal</c> command tree in-process with Console.In/Out/Error redirected, and returns the exit code
/// and what was written. Console is process-global, so runs are serialised by a lock (and tests using this helper
/// share the "Console" collection so xunit does not run them in parallel with each other).
/// </summary>
internal static class ConsoleCapture
{
    private static readonly Lock Gate = new();

    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Run(params string[] args) => Run(args, stdin: null);

    public static Result Run(string[] args, string? stdin) => Run(Program.BuildRootCommand(), args, stdin);

    /// <summary>Runs the arguments against <paramref name="root"/> (e.g. the tool's tree plus a test command).</summary>
    public static Result Run(System.CommandLine.RootCommand root, string[] args, string? stdin = null)
    {
        lock (Gate)
        {
            var (oldOut, oldError, oldIn) = (Console.Out, Console.Error, Console.In);
            using var output = new StringWriter();
            using var error = new StringWriter();
            using var input = new StringReader(stdin ?? string.Empty);
            try
            {
                Console.SetOut(output);
                Console.SetError(error);
                Console.SetIn(input);
                var code = Program.Run(root, args, Console.Error);
                return new Result(code, output.ToString(), error.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldError);
                Console.SetIn(oldIn);
            }
        }
    }
}

/// <summary>Tests that swap the process-wide console run one at a time.</summary>
[Xunit.CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection
{
}
