using System;
using System.Collections.Generic;
using System.CommandLine.Parsing;
using System.IO;
using System.Reflection;

namespace CrossModal.Cli.Commands;

/// <summary>
/// Bad input detected by a command, and the tool's one mapping from failures to exit codes.
/// </summary>
/// <remarks>
/// The library's error contract decides the mapping: bad file contents surface as <see cref="InvalidDataException"/>,
/// bad arguments as <see cref="ArgumentException"/>, missing files as <see cref="FileNotFoundException"/> /
/// <see cref="DirectoryNotFoundException"/>. Those, option parse errors and <see cref="CommandLineError"/> are the
/// user's to fix: one line on stderr, exit code <see cref="ExitCode"/>. Anything else is a defect in the tool or the
/// library, so it is reported as such (exit code <see cref="InternalErrorExitCode"/>, the exception's type and
/// message, and the stack trace with <c>--verbose</c>) rather than disguised as a usage mistake.
/// </remarks>
internal sealed class CommandLineError : Exception
{
    /// <summary>Exit code for bad input.</summary>
    public const int ExitCode = 2;

    /// <summary>Exit code for an internal error (a bug, not the user's input).</summary>
    public const int InternalErrorExitCode = 1;

    public CommandLineError(string message)
        : base(message)
    {
    }

    public CommandLineError(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Whether <paramref name="exception"/> reports input the user can fix.</summary>
    public static bool IsBadInput(Exception exception) =>
        exception is CommandLineError or InvalidDataException or ArgumentException
            or FileNotFoundException or DirectoryNotFoundException;

    /// <summary>Writes the report of <paramref name="exception"/> to <paramref name="error"/> and returns the exit code.</summary>
    public static int Report(Exception exception, bool verbose, TextWriter error)
    {
        exception = Unwrap(exception);
        if (exception is OperationCanceledException)
        {
            error.WriteLine("cancelled");
            return 130;
        }

        if (IsBadInput(exception))
        {
            error.WriteLine("error: " + OneLine(exception.Message));
            return ExitCode;
        }

        error.WriteLine($"internal error: {exception.GetType().FullName}: {OneLine(exception.Message)}");
        error.WriteLine(verbose ? exception.ToString() : "(run again with --verbose for the stack trace)");
        return InternalErrorExitCode;
    }

    /// <summary>Reports option parse errors (unknown options, missing required ones, unparsable values) as bad input.</summary>
    public static int ReportParseErrors(IReadOnlyList<ParseError> errors, TextWriter error)
    {
        var messages = new string[errors.Count];
        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = OneLine(errors[i].Message).TrimEnd('.');
        }

        error.WriteLine("error: " + string.Join("; ", messages) + ". See --help.");
        return ExitCode;
    }

    /// <summary>An argument exception's message without the " (Parameter 'name')" that .NET appends, for a message
    /// that names the command-line option itself.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>The message alone.</returns>
    public static string Reason(ArgumentException exception) =>
        exception.ParamName is { } name ? exception.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : exception.Message;

    private static Exception Unwrap(Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } or TargetInvocationException && exception.InnerException is { } inner)
        {
            exception = inner;
        }

        return exception;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
