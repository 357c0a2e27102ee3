using System;

namespace CrossModal.Cli.Commands;

/// <summary>
/// Bad input detected by a command. The tool prints its message as one line on stderr and exits with
/// <see cref="ExitCode"/> (DESIGN.md, "Command-line contract").
/// </summary>
internal sealed class CommandLineError : Exception
{
    /// <summary>Exit code for bad input.</summary>
    public const int ExitCode = 2;

    public CommandLineError(string message)
        : base(message)
    {
    }

    public CommandLineError(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Runs <paramref name="body"/>, turning input errors into a one-line message and exit code 2.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is CommandLineError or System.IO.InvalidDataException or System.IO.FileNotFoundException
                                      or System.IO.DirectoryNotFoundException or ArgumentException or FormatException)
        {
            Console.Error.WriteLine("error: " + e.Message.ReplaceLineEndings(" "));
            return ExitCode;
        }
    }
}
