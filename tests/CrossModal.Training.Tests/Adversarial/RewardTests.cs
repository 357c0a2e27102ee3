using System;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Models.Adversarial;
using CrossModal.Models.Tests.Adversarial;
using CrossModal.Tensors.Cpu;
using CrossModal.Training.Adversarial;
using Xunit;
using Xunit.Abstractions;
using static CrossModal.Tensors.Tests.NormAssertions;

namespace CrossModal.Training.Tests.Adversarial;

/// <summary>CgT-GAN's rewards and their schedule; the CLIP rewards against PyTorch (make_adversarial_fixtures.py).</summary>
public class RewardTests(ITestOutputHelper output)
{
    // Rewards are on CLIP's ×100 scale; fp32 dot products of 8 values agree to ~1e-6 relative.
    private const double RewardTolerance = 1e-5;

    private static EmbeddingMatrix Matrix(AdversarialFixture f, string name, int rows) => new(f[name], rows, f[name].Length / rows);

    private static RewardBatch FixtureBatch(AdversarialFixture f) =>
        new(Enumerable.Range(0, 6).Select(i => new[] { i }).ToArray(), f.Ints("image_of_sample"), textEmbeddings: Matrix(f, "texts", 6));

    [Fact]
    public void Clip_cosine_and_clip_aggregate_rewards_match_pytorch()
    {
        var f = AdversarialFixture.Load("rewards");
        var images = Matrix(f, "images", 3);
        var corpus = Matrix(f, "corpus", 10);
        var batch = FixtureBatch(f);

        var cos = new float[6];
        new ClipCosineReward(images).Compute(cos, batch);
        Close(f["clip_cos"], cos, RewardTolerance, "clip_cos");

        var aggregate = new ClipAggregateReward(images, corpus);
        Close(f["aggregate"], aggregate.Aggregates.Array, RewardTolerance, "aggregate");
        var agg = new float[6];
        aggregate.Compute(agg, batch);
        Close(f["clip_agg"], agg, RewardTolerance, "clip_agg");
        output.WriteLine($"clip_cos {RelativeError(f["clip_cos"], cos):E2}, aggregate {RelativeError(f["aggregate"], aggregate.Aggregates.Array):E2}, clip_agg {RelativeError(f["clip_agg"], agg):E2}");
    }

    [Fact]
    public void Clip_aggregate_is_finite_for_extreme_logits_and_an_all_zero_caption_embedding()
    {
        // τ = 1e-6 puts the softmax logits at ±1e6: an unstabilised softmax overflows to ∞/∞ = NaN.
        const int d = 3;
        var images = new EmbeddingMatrix([1f, 0f, 0f, 0f, 1f, 0f, -1f, 0f, 0f], 3, d);
        var corpus = new EmbeddingMatrix([1f, 0f, 0f, 0.6f, 0.8f, 0f, 0f, 0f, 1f], 3, d);
        var reward = new ClipAggregateReward(images, corpus, temperature: 1e-6f);
        Assert.All(reward.Aggregates.Span.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.Equal([1f, 0f, 0f], reward.Aggregates.Row(0).ToArray()); // the nearest corpus row takes all the weight
        Assert.Equal([0.6f, 0.8f, 0f], reward.Aggregates.Row(1).ToArray().Select(v => MathF.Round(v, 6)));

        var texts = new EmbeddingMatrix([0f, 0f, 0f, 1f, 0f, 0f, 1e30f, -1e30f, 0f], 3, d);
        var rewards = new float[3];
        reward.Compute(rewards, new RewardBatch([[1], [2], [3]], [0, 1, 2], textEmbeddings: texts));
        Assert.All(rewards, r => Assert.True(float.IsFinite(r), $"reward {r}"));
        Assert.Equal(0.5f * 100f * (1f - (1f / 3f)), rewards[0], 3); // a zero caption embedding: cosine 0, L1 distance |agg|₁/D
        Assert.Equal((50f * 0.6f) + (50f * (1f - 0.4f)), rewards[1], 3); // agg(e_1) = (0.6, 0.8, 0): cos 0.6, L1 (0.4 + 0.8) / 3
    }

    [Fact]
    public void Clip_rewards_need_text_embeddings_and_valid_image_indices()
    {
        var f = AdversarialFixture.Load("rewards");
        var reward = new ClipCosineReward(Matrix(f, "images", 3));
        var noEmbeddings = new RewardBatch([[1]], [0]);
        Assert.Throws<ArgumentException>(() => reward.Compute(new float[1], noEmbeddings));
        var badIndex = new RewardBatch([[1]], [7], textEmbeddings: new EmbeddingMatrix(1, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => reward.Compute(new float[1], badIndex));
        Assert.Equal("cosineWeight", Assert.Throws<ArgumentOutOfRangeException>(() => new ClipAggregateReward(Matrix(f, "images", 3), Matrix(f, "corpus", 10), cosineWeight: 2f)).ParamName);
    }

    [Fact]
    public void Schedule_is_zero_during_warmup_then_linear_to_one_half()
    {
        var schedule = new RewardSchedule();
        Assert.Equal(0f, schedule.Lambda(0));
        Assert.Equal(0f, schedule.Lambda(149));
        Assert.Equal(0f, schedule.Lambda(150));
        Assert.Equal(0.25f, schedule.Lambda(150 + 1175), 6);
        Assert.Equal(0.5f, schedule.Lambda(2500), 6);
        Assert.Equal(0.5f, schedule.Lambda(100_000), 6);
        Assert.Equal("Final", Assert.Throws<ArgumentOutOfRangeException>(() => new RewardSchedule { Final = 1.5f }.Validate()).ParamName);
    }

    [Fact]
    public void Weighted_reward_is_the_weighted_sum_of_its_terms()
    {
        var f = AdversarialFixture.Load("rewards");
        var images = Matrix(f, "images", 3);
        var cos = new ClipCosineReward(images);
        var agg = new ClipAggregateReward(images, Matrix(f, "corpus", 10));
        var batch = FixtureBatch(f);
        var combined = WeightedReward.Scheduled(agg, cos, new RewardSchedule(), 150 + 2350);
        var r = new float[6];
        combined.Compute(r, batch);
        float[] a = new float[6], c = new float[6];
        agg.Compute(a, batch);
        cos.Compute(c, batch);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal((0.5f * a[i]) + (0.5f * c[i]), r[i], 3);
        }
    }

    [Fact]
    public void Discriminator_reward_is_the_raw_logit_of_the_caption_after_a_start_token()
    {
        var d = new Discriminator(CpuBackend.Default, new DiscriminatorOptions { VocabularySize = 9, Context = 6, Width = 8, Layers = 1, Heads = 2 });
        d.ResetParameters(3);
        var reward = new DiscriminatorReward(d, startTokenId: 8);
        var r = new float[2];
        reward.Compute(r, new RewardBatch([[1, 2, 3], [4]], [0, 0]));
        Assert.True(d.IsTraining, "the reward must leave the discriminator's mode as it was");
        d.Eval();
        var alone = d.Forward([8, 4], [], 1, 2).ToArray()[0];
        Assert.Equal(alone, r[1], 5);
        Assert.NotEqual(r[0], r[1]);
    }

    [Fact]
    public void Cider_d_reward_prefers_the_reference_caption()
    {
        var reward = new CiderDReward([["a red circle above a blue square", "a red circle over a blue square"], ["a green triangle"]]);
        var r = new float[3];
        reward.Compute(r, new RewardBatch([[], [], []], [0, 0, 1], ["a red circle above a blue square", "a green triangle", "a green triangle"]));
        Assert.True(r[0] > r[1], $"matching caption {r[0]} should beat a wrong one {r[1]}");
        Assert.True(r[2] > r[1]);
    }
}
