using BenchmarkDotNet.Running;

namespace CrossModal.Benchmarks;

/// <summary>Runs the benchmarks chosen on the command line, e.g. <c>--filter *Gemm*</c> (see docs/benchmarks.md).</summary>
internal static class Program
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
