using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.DependencyInjection;
using CrossModal.Evaluation.Captioning;
using CrossModal.Models.Captioning;
using CrossModal.Models.Clip;
using CrossModal.Models.Images;
using CrossModal.Text;
using CrossModal.Text.Corpora;
using CrossModal.Training.Captioning;
using Microsoft.Extensions.DependencyInjection;

namespace CrossModal.Samples.CocoC3;

/// <summary>
/// C3 (Zhang et al., 2024) on COCO with real weights, through the public API: a captioner trained on the captions of
/// the Karpathy train split alone (text embeddings, centred by the C3 bridge), a GPT-2 decoder fine-tuned from its
/// checkpoint, then the 5,000 test images captioned through <c>AddCrossModal()</c> and scored as the papers score them.
/// The same pipeline as the <c>crossmodal</c> commands of docs/recipes/coco-c3.md.
/// </summary>
/// <remarks>
/// <c>dotnet run --project samples/CocoC3 -c Release -- CLIP_DIR GPT2_DIR dataset_coco.json IMAGE_ROOT OUT_DIR
/// [--captions N] [--images N] [--epochs N]</c>. CLIP_DIR and GPT2_DIR are Hugging Face folders
/// (openai/clip-vit-base-patch32, gpt2); IMAGE_ROOT holds train2014/ and val2014/ as the split file's <c>filepath</c>
/// names them. <c>--captions</c> and <c>--images</c> cap the training captions and test images for a quick run.
/// </remarks>
public static class Program
{
    /// <summary>Runs the pipeline; returns the exit code.</summary>
    /// <param name="args">See the remarks of <see cref="Program"/>.</param>
    public static int Main(string[] args)
    {
        if (args.Length < 5)
        {
            Console.Error.WriteLine("usage: CocoC3 CLIP_DIR GPT2_DIR dataset_coco.json IMAGE_ROOT OUT_DIR [--captions N] [--images N] [--epochs N]");
            return 2;
        }

        var (clipDir, gpt2Dir, splitFile, imageRoot, outDir) = (args[0], args[1], args[2], args[3], args[4]);
        var maxCaptions = Flag(args, "--captions", int.MaxValue);
        var maxImages = Flag(args, "--images", int.MaxValue);
        Directory.CreateDirectory(outDir);

        // 1. The Karpathy split: train (with restval) captions for training, test images for evaluation.
        var split = KarpathySplit.Read(splitFile);
        var captions = split.Corpus("train").Records.Select(r => r.Caption).Take(maxCaptions).ToList();
        var trainImages = split.Select("train");
        var testImages = split.Select("test").Take(maxImages).ToList();
        Console.Error.WriteLine($"{captions.Count} training captions, {testImages.Count} test images");

        // 2. CLIP text embeddings of the captions, and image embeddings of unpaired train images (C3 needs only their mean).
        var clip = ClipModel.Load(clipDir);
        clip.NormalizeEmbeddings = true;
        var texts = clip.EncodeTexts(captions);
        var meanImages = trainImages.Take(Math.Min(5000, trainImages.Count)).Select(i => Locate(imageRoot, i)).ToList();
        var images = EncodeImages(clip, meanImages);

        // 3. The C3 bridge: remove each modality's mean (the modality gap) and re-normalise.
        var bridge = BridgePresets.Create(BridgePreset.C3);
        bridge.Fit(new BridgeFitData { UnpairedTexts = texts, UnpairedImages = images, SupportTexts = texts });

        // 4. GPT-2 from its checkpoint, ClipCap's MLP mapper (k = 10) from scratch, the papers' fine-tuning settings.
        var model = new PrefixLanguageModel(
            new PrefixLanguageModelOptions { Mapper = PrefixMapperKind.Mlp, EmbeddingDimension = clip.Dimension, PrefixLength = 10 },
            Gpt2Decoder.Load(gpt2Dir));
        model.Mapper.ResetParameters(seed: 0);
        var options = CaptionTrainerOptions.PretrainedGpt2;
        options.Epochs = Flag(args, "--epochs", options.Epochs);
        options.BestModelPath = Path.Combine(outDir, "c3.safetensors");
        options.CheckpointPath = Path.Combine(outDir, "c3.resume.safetensors");
        var result = new CaptionTrainer(model, Gpt2Tokenizer.Shared, bridge, options).Train(captions, texts, new ConsoleProgress());
        Console.Error.WriteLine($"\ntrained {result.Steps} steps, {result.TokensPerSecond:F0} tokens/s");

        // 5. Caption the test images through AddCrossModal(): decode, preprocess, encode, bridge, decode text.
        var services = new ServiceCollection();
        services.AddCrossModal(o =>
        {
            o.Clip.ModelDirectory = clipDir;
            o.Captioner.CheckpointPath = options.BestModelPath;
        });
        using var provider = services.BuildServiceProvider();
        var captioner = provider.GetRequiredService<ImageCaptioningService>();
        var generated = new List<string>(testImages.Count);
        var decoded = new List<ImageData>();
        for (var start = 0; start < testImages.Count; start += 32)
        {
            decoded.Clear();
            decoded.AddRange(testImages.Skip(start).Take(32).Select(i => ImageDecoder.Default.Decode(Locate(imageRoot, i))));
            generated.AddRange(captioner.Caption(decoded));
            Console.Error.Write($"\rcaptioned {generated.Count}/{testImages.Count}");
        }

        // 6. The papers' metrics: BLEU-4, ROUGE-L and CIDEr-D on PTB-tokenized text, and CLIP-S.
        var scores = CaptionMetrics.Score(testImages.Select(i => i.Sentences).ToList(), generated, CaptionTokenization.Ptb);
        var clipScore = ClipScore.Mean(EncodeImages(clip, testImages.Select(i => Locate(imageRoot, i)).ToList()), clip.EncodeTexts(generated).Clone());
        Console.Error.WriteLine();
        foreach (var (name, value) in scores.ToDictionary())
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-8} {value * 100:F1}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CLIP-S   {clipScore * 100:F1}"));
        File.WriteAllLines(Path.Combine(outDir, "test_captions.tsv"), testImages.Zip(generated, (i, c) => $"{i.FileName}\t{c}"));
        return 0;
    }

    private static EmbeddingMatrix EncodeImages(ClipModel clip, IReadOnlyList<string> files)
    {
        var result = new EmbeddingMatrix(files.Count, clip.Dimension);
        for (var start = 0; start < files.Count; start += 32)
        {
            var batch = files.Skip(start).Take(32).Select(ImageDecoder.Default.Decode).ToList();
            clip.EncodeImages(batch).Span[..(batch.Count * clip.Dimension)].CopyTo(result.Span[(start * clip.Dimension)..]);
        }

        return result;
    }

    private static string Locate(string root, KarpathyImage image)
    {
        var nested = Path.Combine(root, image.FilePath, image.FileName);
        return File.Exists(nested) ? nested : Path.Combine(root, image.FileName);
    }

    private static int Flag(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed class ConsoleProgress : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) =>
            Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\rstep {value.Step}/{value.TotalSteps} loss {value.Loss:F3} {value.ItemsPerSecond:F0} tokens/s "));
    }
}
