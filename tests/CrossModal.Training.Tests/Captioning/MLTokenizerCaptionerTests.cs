using System;
using System.IO;
using System.Text;
using CrossModal.Models.Captioning;
using CrossModal.Tensors.Cpu;
using CrossModal.Text;
using CrossModal.Training.Captioning;
using Microsoft.ML.Tokenizers;
using Xunit;

namespace CrossModal.Training.Tests.Captioning;

/// <summary>Microsoft.ML.Tokenizers tokenizers through the trainer and the checkpoint format.</summary>
public sealed class MLTokenizerCaptionerTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("crossmodal-mltok-");

    private static string SmallTiktoken => Path.Combine(CaptionTrainingTestData.RepositoryRoot(), "tests", "reference", "fixtures", "tiktoken", "gpt2_first_1024.tiktoken");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void A_captioner_trained_with_a_tiktoken_file_reloads_with_it_and_captions_the_same()
    {
        var tokenizer = MLTokenizerAdapter.FromTiktokenFile(SmallTiktoken);
        var captions = CaptionTrainingTestData.Flickr8k(16, 8);
        var embeddings = CaptionTrainingTestData.RandomUnitEmbeddings(captions.Length, 16, 5);
        var best = Path.Combine(_directory.FullName, "best.safetensors");
        var trainer = new CaptionTrainer(Model(tokenizer.VocabularySize), tokenizer, null, new CaptionTrainerOptions
        {
            Epochs = 2,
            BatchSize = 8,
            LearningRate = 1e-3f,
            ValidationFraction = 0,
            Seed = 3,
            BestModelPath = best,
        });
        trainer.Train(captions, embeddings);

        var loaded = CaptionerCheckpoint.Load(best, CpuBackend.Default);
        var reloaded = Assert.IsType<MLTokenizerAdapter>(loaded.Tokenizer);
        Assert.Equal(tokenizer.VocabularySize, reloaded.VocabularySize);
        Assert.Equal(tokenizer.EndOfTextId, reloaded.EndOfTextId);
        foreach (var caption in captions)
        {
            Assert.Equal(tokenizer.Encode(caption), reloaded.Encode(caption));
        }

        var images = CaptionTrainingTestData.RandomUnitEmbeddings(4, 16, 77);
        Assert.Equal(new PrefixCaptioner(trainer.Model, tokenizer).Caption(images), loaded.ToCaptioner().Caption(images));
    }

    [Fact]
    public void A_tokenizer_object_trains_in_memory_but_a_trainer_asked_to_save_refuses_it_before_training()
    {
        string[] vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "dog", "runs", "on", "the", "grass", "."];
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", vocabulary) + "\n"));
        var bert = BertTokenizer.Create(stream);
        var tokenizer = new MLTokenizerAdapter(bert, vocabulary.Length, bert.SeparatorTokenId, bert.ClassificationTokenId, bert.PaddingTokenId);
        string[] captions = ["a dog runs on the grass .", "the dog runs .", "a dog on the grass .", "the grass ."];
        var embeddings = CaptionTrainingTestData.RandomUnitEmbeddings(captions.Length, 16, 9);

        var inMemory = new CaptionTrainer(Model(tokenizer.VocabularySize), tokenizer, null, new CaptionTrainerOptions { Epochs = 1, BatchSize = 2, ValidationFraction = 0 });
        var result = inMemory.Train(captions, embeddings);
        Assert.True(result.Steps > 0);

        var e = Assert.Throws<ArgumentException>(() => new CaptionTrainer(Model(tokenizer.VocabularySize), tokenizer, null, new CaptionTrainerOptions
        {
            Epochs = 1,
            BestModelPath = Path.Combine(_directory.FullName, "never.safetensors"),
        }));
        Assert.Equal("tokenizer", e.ParamName);
        Assert.Contains("FromTiktokenFile", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory.FullName, "never.safetensors")));
    }

    private static PrefixLanguageModel Model(int vocabulary)
    {
        var model = new PrefixLanguageModel(CpuBackend.Default, new PrefixLanguageModelOptions
        {
            EmbeddingDimension = 16,
            PrefixLength = 2,
            Decoder = new Gpt2DecoderOptions { VocabularySize = vocabulary, Context = 48, Width = 16, Layers = 1, Heads = 2 },
        });
        model.ResetParameters(seed: 1);
        return model;
    }
}
