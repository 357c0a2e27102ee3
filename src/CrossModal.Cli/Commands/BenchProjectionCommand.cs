using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using CrossModal.Bridging;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal bench projection</c>: GFLOP/s of the support-set projection (streaming softmax over GEMM blocks)
/// against the same GEMM calls without the softmax, on the same shapes.
/// </summary>
internal static class BenchProjectionCommand
{
    public static Command Create()
    {
        var queries = new Option<int>("--queries") { Description = "Queries M.", DefaultValueFactory = _ => 10_000 };
        var support = new Option<int>("--support") { Description = "Support rows N.", DefaultValueFactory = _ => 100_000 };
        var dim = new Option<int>("--dim") { Description = "Dimension D.", DefaultValueFactory = _ => 512 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var command = new Command("projection", "Measure SupportSetProjection GFLOP/s (4·M·N·D flops) against plain GEMM on the same block shapes.")
        {
            queries, support, dim, json,
        };
        command.SetAction(parse =>
        {
            var (m, n, d) = (parse.GetValue(queries), parse.GetValue(support), parse.GetValue(dim));
            if (m < 1 || n < 1 || d < 1)
            {
                throw new CommandLineError($"--queries, --support and --dim must be positive (got {m}, {n}, {d}).");
            }

            var result = Run(m, n, d);
            if (parse.GetValue(json))
            {
                using var stream = new MemoryStream();
                using (var writer = new Utf8JsonWriter(stream))
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("queries", m);
                    writer.WriteNumber("support", n);
                    writer.WriteNumber("dim", d);
                    writer.WriteNumber("threads", Environment.ProcessorCount);
                    writer.WriteNumber("projection_seconds", result.ProjectionSeconds);
                    writer.WriteNumber("projection_gflops", result.ProjectionGflops);
                    writer.WriteNumber("gemm_seconds", result.GemmSeconds);
                    writer.WriteNumber("gemm_gflops", result.GemmGflops);
                    writer.WriteNumber("ratio", result.ProjectionGflops / result.GemmGflops);
                    writer.WriteEndObject();
                }

                Console.Out.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
            }
            else
            {
                var c = CultureInfo.InvariantCulture;
                Console.Out.WriteLine(string.Create(c, $"support-set projection {m} × {n} × {d} on {Environment.ProcessorCount} threads (4·M·N·D = {4.0 * m * n * d / 1e12:F2} TFLOP)"));
                Console.Out.WriteLine(string.Create(c, $"  projection  {result.ProjectionSeconds,8:F2} s  {result.ProjectionGflops,8:F1} GFLOP/s"));
                Console.Out.WriteLine(string.Create(c, $"  plain GEMM  {result.GemmSeconds,8:F2} s  {result.GemmGflops,8:F1} GFLOP/s  (same block shapes, no softmax)"));
                Console.Out.WriteLine(string.Create(c, $"  ratio       {result.ProjectionGflops / result.GemmGflops,8:P1}"));
            }

            return 0;
        });
        return command;
    }

    internal static ProjectionWorkload.Result Run(int m, int n, int d)
    {
        using var workload = new ProjectionWorkload(m, n, d);
        return workload.Measure(Console.Error);
    }
}
