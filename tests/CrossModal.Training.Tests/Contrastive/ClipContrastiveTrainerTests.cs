using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using CrossModal.Abstractions;
using CrossModal.Models.Clip;
using CrossModal.Tensors.Cpu;
using CrossModal.Training.Contrastive;
using Xunit;

namespace CrossModal.Training.Tests.Contrastive;

public sealed class ClipContrastiveTrainerTests : IDisposable
{
    private const int Context = 6;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "crossmodal-clip-trainer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static ClipModel NewModel(ClipVisionTower tower)
    {
        var config = new ClipConfig
        {
            ProjectionDim = 8,
            Text = new ClipTextConfig { VocabularySize = 16, Width = 16, MlpHidden = 32, Heads = 2, Layers = 1, Context = Context },
            Vision = tower == ClipVisionTower.Convolutional
                ? new ClipVisionConfig { Tower = tower, ConvLayers = "4 M 8 M", ImageSize = 8 }
                : new ClipVisionConfig { Width = 16, MlpHidden = 32, Heads = 2, Layers = 1, ImageSize = 8, PatchSize = 4 },
        };
        var model = new ClipModel(CpuBackend.Default, config);
        model.ResetParameters(5);
        return model;
    }

    /// <summary>Four colours, each paired with the word naming it: a task contrastive training must learn.</summary>
    private static (ImageData[] Images, string[] Texts) Pairs(int count)
    {
        byte[][] colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]];
        var images = new ImageData[count];
        var texts = new string[count];
        for (var i = 0; i < count; i++)
        {
            var c = colours[i % 4];
            var pixels = new byte[8 * 8 * 3];
            for (var p = 0; p < 64; p++)
            {
                // A colour square in one of four corners, so the images differ within a colour too.
                int y = p / 8, x = p % 8, corner = i / 4 % 4;
                var inside = (y < 4) == (corner < 2) && (x < 4) == (corner % 2 == 0);
                pixels[p * 3] = inside ? c[0] : (byte)40;
                pixels[p * 3 + 1] = inside ? c[1] : (byte)40;
                pixels[p * 3 + 2] = inside ? c[2] : (byte)40;
            }

            images[i] = new ImageData(8, 8, pixels);
            texts[i] = (1 + i % 4).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return (images, texts);
    }

    private static void Tokens(string text, Span<int> destination)
    {
        destination.Clear();
        destination[0] = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        destination[1] = 15; // end-of-text: the largest id, where the text tower pools
    }

    [Theory]
    [InlineData(ClipVisionTower.Convolutional)]
    [InlineData(ClipVisionTower.Transformer)]
    public void Training_lowers_the_contrastive_loss_for_either_image_tower(ClipVisionTower tower)
    {
        var model = NewModel(tower);
        var (images, texts) = Pairs(32);
        var reports = new List<TrainingProgress>();
        var trainer = new ClipContrastiveTrainer(model, new ClipContrastiveTrainerOptions { Steps = 100, BatchSize = 8, LearningRate = 5e-3f, Seed = 1 });
        var result = trainer.Train(images, texts, Tokens, new SyncProgress(reports.Add));
        Assert.Equal(100, result.Steps);
        Assert.Equal(100, reports.Count);
        Assert.Equal("clip", reports[^1].Stage);
        Assert.True(result.StepLosses.Skip(90).Average() < 0.7 * result.StepLosses.Take(5).Average(),
            $"loss {result.StepLosses.Take(5).Average()} → {result.StepLosses.Skip(90).Average()}");
        Assert.False(model.IsTraining);
    }

    [Fact]
    public void A_cancelled_run_resumed_from_its_checkpoint_ends_exactly_where_the_uninterrupted_run_does()
    {
        var (images, texts) = Pairs(24);
        var path = Path.Combine(_folder, "clip.ckpt.safetensors");
        ClipContrastiveTrainerOptions Options() => new() { Steps = 12, BatchSize = 8, Seed = 3, CheckpointPath = path, Resume = true };

        var whole = NewModel(ClipVisionTower.Convolutional);
        var expected = new ClipContrastiveTrainer(whole, new ClipContrastiveTrainerOptions { Steps = 12, BatchSize = 8, Seed = 3 }).Train(images, texts, Tokens);

        var first = NewModel(ClipVisionTower.Convolutional);
        using var cancel = new CancellationTokenSource();
        var reports = 0;
        var stopped = new ClipContrastiveTrainer(first, Options()).Train(images, texts, Tokens, new SyncProgress(_ =>
        {
            if (++reports == 5)
            {
                cancel.Cancel();
            }
        }), cancel.Token);
        Assert.True(stopped.Cancelled);
        Assert.Equal(5, stopped.Steps);
        Assert.True(File.Exists(path));

        var second = NewModel(ClipVisionTower.Convolutional);
        var resumed = new ClipContrastiveTrainer(second, Options()).Train(images, texts, Tokens);
        Assert.Equal(5, resumed.StartStep);
        Assert.Equal(expected.StepLosses, resumed.StepLosses);
        var a = whole.NamedParameters();
        var b = second.NamedParameters();
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Value.Value.ToArray(), b[i].Value.Value.ToArray());
        }
    }

    [Fact]
    public void A_checkpoint_of_another_run_is_refused_naming_the_file_and_the_difference()
    {
        var (images, texts) = Pairs(16);
        var path = Path.Combine(_folder, "other.safetensors");
        new ClipContrastiveTrainer(NewModel(ClipVisionTower.Convolutional), new() { Steps = 2, BatchSize = 8, CheckpointPath = path }).Train(images, texts, Tokens);
        var trainer = new ClipContrastiveTrainer(NewModel(ClipVisionTower.Convolutional), new() { Steps = 2, BatchSize = 4, CheckpointPath = path, Resume = true });
        var e = Assert.Throws<InvalidDataException>(() => trainer.Train(images, texts, Tokens));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("'batch'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_checkpoint_trained_with_another_group_loss_weight_is_refused()
    {
        var (images, texts) = Pairs(16);
        var path = Path.Combine(_folder, "grouped.safetensors");
        new ClipContrastiveTrainer(NewModel(ClipVisionTower.Convolutional), new() { Steps = 2, BatchSize = 8, GroupSize = 4, GroupLossWeight = 2, CheckpointPath = path }).Train(images, texts, Tokens);
        var trainer = new ClipContrastiveTrainer(NewModel(ClipVisionTower.Convolutional), new() { Steps = 2, BatchSize = 8, GroupSize = 4, CheckpointPath = path, Resume = true });
        var e = Assert.Throws<InvalidDataException>(() => trainer.Train(images, texts, Tokens));
        Assert.Contains("'group_loss_weight'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_group_loss_weight_changes_training_and_its_loss_includes_the_group_term()
    {
        var (images, texts) = Pairs(16);
        var plain = new ClipContrastiveTrainer(NewModel(ClipVisionTower.Convolutional), new() { Steps = 3, BatchSize = 8, GroupSize = 4, Seed = 3 }).Train(images, texts, Tokens);
        var grouped = new ClipContrastiveTrainer(NewModel(ClipVisionTower.Convolutional), new() { Steps = 3, BatchSize = 8, GroupSize = 4, GroupLossWeight = 2, Seed = 3 }).Train(images, texts, Tokens);
        // Same model, same first batch: the first loss differs only by the group term, 2 · Σ_g (4/8) · CLIP(group g) > 0.
        Assert.True(grouped.StepLosses[0] > plain.StepLosses[0] + 0.1f, $"{grouped.StepLosses[0]} vs {plain.StepLosses[0]}");
        Assert.NotEqual(plain.StepLosses[2], grouped.StepLosses[2]);
    }

    [Fact]
    public void Pair_groups_always_share_a_batch_and_whole_groups_are_shuffled_between_epochs()
    {
        var (images, _) = Pairs(24);
        var texts = Enumerable.Range(0, 24).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var seen = new List<int>();
        var trainer = new ClipContrastiveTrainer(NewModel(ClipVisionTower.Convolutional),
            new ClipContrastiveTrainerOptions { Steps = 6, BatchSize = 8, GroupSize = 4, Seed = 2 });
        trainer.Train(images, texts, (text, destination) =>
        {
            var index = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            seen.Add(index);
            Tokens((1 + index % 4).ToString(System.Globalization.CultureInfo.InvariantCulture), destination);
        });

        Assert.Equal(48, seen.Count);
        // The order is a function of the seed alone, the same in every process (pinned: a per-process hash seed
        // would pass every in-process comparison and still break reruns and resumes in a new process).
        Assert.Equal([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 0, 1, 2, 3, 16, 17, 18, 19], seen.Take(24));
        for (var g = 0; g < 12; g++)
        {
            // Each run of four starts a group and holds it in order: pairs 4k … 4k + 3.
            var group = seen.GetRange(4 * g, 4);
            Assert.Equal(0, group[0] % 4);
            Assert.Equal(Enumerable.Range(group[0], 4), group);
        }

        // Every epoch (three steps of two groups) visits every pair once, in a shuffled order of groups.
        Assert.Equal(Enumerable.Range(0, 24), seen.Take(24).Order());
        Assert.Equal(Enumerable.Range(0, 24), seen.Skip(24).Order());
        Assert.NotEqual(seen.Take(24), seen.Skip(24));
    }

    [Fact]
    public void Invalid_options_are_rejected_naming_the_option()
    {
        Assert.Equal("BatchSize", Assert.ThrowsAny<ArgumentException>(() => new ClipContrastiveTrainerOptions { BatchSize = 1 }.Validate()).ParamName);
        Assert.Equal("LearningRate", Assert.ThrowsAny<ArgumentException>(() => new ClipContrastiveTrainerOptions { LearningRate = float.NaN }.Validate()).ParamName);
        Assert.Equal("FixedLogitScale", Assert.ThrowsAny<ArgumentException>(() => new ClipContrastiveTrainerOptions { FixedLogitScale = 0 }.Validate()).ParamName);
        Assert.Equal("Resume", Assert.ThrowsAny<ArgumentException>(() => new ClipContrastiveTrainerOptions { Resume = true }.Validate()).ParamName);
        Assert.Equal("GroupSize", Assert.ThrowsAny<ArgumentException>(() => new ClipContrastiveTrainerOptions { GroupSize = 0 }.Validate()).ParamName);
        Assert.Equal("BatchSize", Assert.ThrowsAny<ArgumentException>(() => new ClipContrastiveTrainerOptions { BatchSize = 10, GroupSize = 4 }.Validate()).ParamName);
        Assert.Equal("GroupLossWeight", Assert.ThrowsAny<ArgumentException>(() => new ClipContrastiveTrainerOptions { GroupSize = 4, GroupLossWeight = -1 }.Validate()).ParamName);
        Assert.Equal("GroupLossWeight", Assert.ThrowsAny<ArgumentException>(() => new ClipContrastiveTrainerOptions { GroupSize = 4, GroupLossWeight = float.PositiveInfinity }.Validate()).ParamName);
        Assert.Equal("GroupLossWeight", Assert.ThrowsAny<ArgumentException>(() => new ClipContrastiveTrainerOptions { GroupLossWeight = 2 }.Validate()).ParamName);
        var (images, texts) = Pairs(4);
        var trainer = new ClipContrastiveTrainer(NewModel(ClipVisionTower.Convolutional), new());
        Assert.Equal("texts", Assert.Throws<ArgumentException>(() => trainer.Train(images, texts[..3], Tokens)).ParamName);
        var grouped = new ClipContrastiveTrainer(NewModel(ClipVisionTower.Convolutional), new() { BatchSize = 4, GroupSize = 4 });
        var odd = Pairs(6);
        Assert.Contains("GroupSize", Assert.Throws<ArgumentException>(() => grouped.Train(odd.Images, odd.Texts, Tokens)).Message, StringComparison.Ordinal);
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
