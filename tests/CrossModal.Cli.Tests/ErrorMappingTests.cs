using System;
using System.CommandLine;
using System.IO;
using Xunit;

namespace CrossModal.Cli.Tests;

/// <summary>
/// The tool's exit-code contract: input the user can fix (bad arguments, bad or missing files, option parse errors)
/// is exit code 2 with one line on stderr; anything else is an internal error, exit code 1, reported with its type.
/// </summary>
[Collection("Console")]
public sealed class ErrorMappingTests
{
    [Theory]
    [InlineData("invalid-operation", "System.InvalidOperationException")]
    [InlineData("null-reference", "System.NullReferenceException")]
    [InlineData("index", "System.IndexOutOfRangeException")]
    [InlineData("format", "System.FormatException")]
    public void A_bug_inside_a_command_is_exit_1_naming_the_exception_type(string kind, string typeName)
    {
        var (code, stdout, stderr) = Run("throw", kind);

        Assert.Equal(1, code);
        Assert.Equal(string.Empty, stdout);
        Assert.StartsWith($"internal error: {typeName}: boom {kind}", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", stderr, StringComparison.Ordinal);
        Assert.Contains("--verbose", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Verbose_prints_the_stack_trace_of_an_internal_error()
    {
        var (code, _, stderr) = Run("--verbose", "throw", "invalid-operation");

        Assert.Equal(1, code);
        Assert.Contains(nameof(ThrowingCommand), stderr, StringComparison.Ordinal);
        Assert.Contains(" at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Verbose_is_accepted_after_the_subcommand_too()
    {
        var (code, _, stderr) = Run("throw", "invalid-operation", "--verbose");

        Assert.Equal(1, code);
        Assert.Contains(" at ", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("argument", "boom argument (Parameter 'width')")]
    [InlineData("argument-out-of-range", "boom argument-out-of-range (Parameter 'beam')")]
    [InlineData("invalid-data", "model.safetensors: boom invalid-data")]
    [InlineData("file-not-found", "boom file-not-found")]
    [InlineData("directory-not-found", "boom directory-not-found")]
    public void Bad_input_is_exit_2_with_one_line(string kind, string message)
    {
        var (code, stdout, stderr) = Run("--verbose", "throw", kind);

        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal($"error: {message}", stderr.TrimEnd());
    }

    [Theory]
    [InlineData("caption", "--model", "m.safetensors", "--image-embeddings", "x.npy", "--beam", "three")]
    [InlineData("caption", "--image-embeddings", "x.npy")]
    [InlineData("caption", "--model", "m.safetensors", "--image-embeddings", "x.npy", "--no-such-option")]
    [InlineData("no-such-command")]
    public void An_option_parse_error_is_exit_2_with_one_line(params string[] args)
    {
        var result = ConsoleCapture.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Out);
        Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var root = Program.BuildRootCommand();
        root.Subcommands.Add(ThrowingCommand.Create());
        var result = ConsoleCapture.Run(root, args);
        return (result.ExitCode, result.Out, result.Error);
    }

    /// <summary>A command that throws the exception its argument names, standing in for a defect or a bad input.</summary>
    private static class ThrowingCommand
    {
        public static Command Create()
        {
            var kind = new Argument<string>("kind");
            var command = new Command("throw") { kind };
            command.SetAction(parse => Throw(parse.GetValue(kind)!));
            return command;
        }

        private static int Throw(string kind)
        {
            var message = "boom " + kind;
            throw kind switch
            {
                "invalid-operation" => new InvalidOperationException(message),
                "null-reference" => new NullReferenceException(message),
                "index" => new IndexOutOfRangeException(message),
                "format" => new FormatException(message),
                "argument" => new ArgumentException(message, "width"),
                "argument-out-of-range" => new ArgumentOutOfRangeException("beam", message),
                "invalid-data" => new InvalidDataException("model.safetensors: " + message),
                "file-not-found" => new FileNotFoundException(message),
                "directory-not-found" => new DirectoryNotFoundException(message),
                _ => new NotSupportedException(kind),
            };
        }
    }
}
