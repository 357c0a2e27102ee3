using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using CrossModal.Bridging;
using CrossModal.Tensors.Cpu;

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

    internal readonly record struct Result(double ProjectionSeconds, double ProjectionGflops, double GemmSeconds, double GemmGflops);

    internal static Result Run(int m, int n, int d)
    {
        var rng = new Random(1);
        var q = RandomUnitRows(m, d, rng);
        var s = RandomUnitRows(n, d, rng);
        var destination = new float[(long)m * d];
        var flops = 4.0 * m * n * d;

        // Warm up both paths (JIT, GEMM workspaces) on a slice, then time the full size once each.
        var warm = Math.Min(m, SupportSetProjection.QueryBlock);
        SupportSetProjection.Project(q, warm, s, Math.Min(n, 4 * SupportSetProjection.SupportBlock), d, 0.01f, 0, destination);
        BlockGemms(q, warm, s, Math.Min(n, 4 * SupportSetProjection.SupportBlock), d);

        Console.Error.WriteLine("timing projection…");
        var watch = Stopwatch.StartNew();
        SupportSetProjection.Project(q, m, s, n, d, 0.01f, 0, destination);
        var projection = watch.Elapsed.TotalSeconds;
        Console.Error.WriteLine("timing plain GEMM on the same blocks…");
        watch.Restart();
        BlockGemms(q, m, s, n, d);
        var gemm = watch.Elapsed.TotalSeconds;
        return new Result(projection, flops / projection / 1e9, gemm, flops / gemm / 1e9);
    }

    /// <summary>The projection's two GEMMs per (query block, support block), without the softmax or rescaling.</summary>
    private static void BlockGemms(float[] q, int m, float[] s, int n, int d)
    {
        var qb = Math.Min(SupportSetProjection.QueryBlock, m);
        var sb = Math.Min(SupportSetProjection.SupportBlock, n);
        var logits = new float[qb * sb];
        var acc = new float[qb * d];
        for (var q0 = 0; q0 < m; q0 += qb)
        {
            var mb = Math.Min(qb, m - q0);
            for (var s0 = 0; s0 < n; s0 += sb)
            {
                var nb = Math.Min(sb, n - s0);
                var sBlock = s.AsSpan(s0 * d, nb * d);
                Gemm.Multiply(false, true, mb, nb, d, 100f, q.AsSpan(q0 * d, mb * d), d, sBlock, d, 0f, logits, nb);
                Gemm.Multiply(false, false, mb, d, nb, 1f, logits, nb, sBlock, d, 1f, acc, d);
            }
        }
    }

    private static float[] RandomUnitRows(int rows, int d, Random rng)
    {
        var data = new float[(long)rows * d];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)(rng.NextDouble() - 0.5);
        }

        for (var r = 0; r < rows; r++)
        {
            var row = data.AsSpan(r * d, d);
            var norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, 1f / norm, row);
        }

        return data;
    }
}
