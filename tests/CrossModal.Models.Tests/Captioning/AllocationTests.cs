using System;
using CrossModal.Tensors.Optim;
using Xunit;

namespace CrossModal.Models.Tests.Captioning;

/// <summary>A prefix-LM training step in steady state allocates nothing on the managed heap, so training never pauses for the GC.</summary>
public sealed class AllocationTests
{
    [Theory]
    [InlineData("mlp")]
    [InlineData("transformer")]
    [InlineData("linear")]
    public void TrainingStepAllocatesNothingAfterWarmUp(string mapper)
    {
        var model = CaptioningTestModels.Create(mapper, vocabulary: 9, seed: 2, scale: 0.1f);
        var parameters = model.TrainableParameters();
        var optimizer = new AdamW(parameters, new AdamWOptions());
        const int batch = 4;
        const int tc = 5;
        var input = CaptioningTestModels.Upload(CaptioningTestModels.RandomEmbeddings(batch, 6, 1), batch, 6);
        var tokens = new int[batch * tc];
        var targets = new int[batch * (model.PrefixLength + tc)];
        for (var i = 0; i < targets.Length; i++)
        {
            targets[i] = i % 3 == 0 ? -100 : i % 9;
        }

        void Step()
        {
            model.ZeroGrad();
            model.ForwardLoss(input, tokens, targets, batch, tc, -100, 0.1f);
            model.Backward();
            GradientClipping.ClipGlobalNorm(parameters, 1f);
            optimizer.Step();
        }

        Step();
        Step();
        // The least of three trials: a JIT tier-up or a runtime timer may allocate once on this thread.
        var least = long.MaxValue;
        for (var trial = 0; trial < 3; trial++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Step();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, least);
    }
}
