using System;
using System.Diagnostics;
using System.Linq;
using CrossModal.ShapesWorld.Rendering;
using CrossModal.ShapesWorld.World;
using Xunit;
using Xunit.Abstractions;

namespace CrossModal.ShapesWorld.Tests;

[CollectionDefinition("Speed", DisableParallelization = true)]
public class SpeedCollection
{
}

// Not run in parallel with the other tests, so the process CPU time below is this test's own.
[Collection("Speed")]
public class SpeedTests(ITestOutputHelper output)
{
    [Fact]
    public void Rendering_thousands_of_photos_is_fast()
    {
        var renderer = new ShapesRenderer(32);
        var g = new SceneGenerator();
        var random = new WorldRandom(4);
        Scene[] scenes = Enumerable.Range(0, 2000).Select(_ => g.Next(random)).ToArray();
        var buffer = new byte[32 * 32 * 3];
        renderer.Render(scenes[0], RenderStyle.Photo, 0, buffer); // warm-up
        // CPU time, not wall time: on a shared machine (load 35 on 2 cores while this was written) wall time
        // measures the neighbours. The loop is single-threaded, so the process CPU time is essentially its own.
        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < scenes.Length; i++)
        {
            renderer.Render(scenes[i], RenderStyle.Photo, (ulong)i, buffer);
        }

        sw.Stop();
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        output.WriteLine($"2000 photos 32×32 on one thread: CPU {cpu * 1000:0} ms ({cpu * 1e6 / 2000:0} µs each), wall {sw.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(cpu < 2.0, $"took {cpu:0.00} s of CPU");
    }

}
