using System;
using System.Diagnostics;
using System.IO;

namespace CrossModal.Cli.Tests;

/// <summary>Runs the built <c>crossmodal</c> tool as a child process, so its stdout, stderr and exit code are its own.</summary>
internal static class ToolProcess
{
    public static (int Code, string Stdout, string Stderr) Run(string arguments)
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "crossmodal.dll");
        var start = new ProcessStartInfo("dotnet", $"\"{tool}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }
}
