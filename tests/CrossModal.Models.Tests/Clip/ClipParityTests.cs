using System;
using System.Linq;
using CrossModal.Models.Clip;
using CrossModal.Text;
using Xunit;
using static CrossModal.Models.Tests.Clip.ClipFixtures;

namespace CrossModal.Models.Tests.Clip;

/// <summary>The tiny Hugging Face-layout CLIP of make_clip_fixtures.py against its PyTorch reference.</summary>
public sealed class ClipParityTests
{
    /// <summary>Bar for embeddings, 1e-4 absolute: what float32 accumulation-order differences from PyTorch leave.</summary>
    private const float EmbeddingTolerance = 1e-4f;

    /// <summary>Gradients go through a longer fp32 chain than the forward pass (llm.c uses the same bound).</summary>
    private const double GradientTolerance = 1e-4;

    [Fact]
    public void Config_is_read_from_the_hugging_face_config_json()
    {
        var model = LoadTiny();
        var c = model.Config;
        Assert.Equal((64, 2, 4, 256, 32, 8), (c.Vision.Width, c.Vision.Layers, c.Vision.Heads, c.Vision.MlpHidden, c.Vision.ImageSize, c.Vision.PatchSize));
        Assert.Equal((49408, 32, 2, 4, 128, 77), (c.Text.VocabularySize, c.Text.Width, c.Text.Layers, c.Text.Heads, c.Text.MlpHidden, c.Text.Context));
        Assert.Equal(48, model.Dimension);
        Assert.Equal(Tensors.Activation.QuickGelu, c.Text.Activation);
        Assert.Equal(MathF.Log(1 / 0.07f), model.LogitScale.Value.ToArray()[0], 2); // stored through F16
    }

    [Fact]
    public void Tokenizer_gives_the_reference_ids()
    {
        var ids = Ints("input_ids");
        for (var i = 0; i < Captions.Length; i++)
        {
            Assert.Equal(ids.AsSpan(i * 77, 77).ToArray(), ClipTokenizer.Shared.EncodeContext(Captions[i], 77));
        }
    }

    [Fact]
    public void Text_embeddings_match_pytorch_raw_and_normalised()
    {
        var model = LoadTiny();
        var ids = Ints("input_ids");
        model.NormalizeEmbeddings = false;
        var raw = model.EncodeTokens(ids, Captions.Length);
        Close(Get("text_embeds_raw"), raw.Span, EmbeddingTolerance, 1e-4f, "text_embeds_raw");
        model.NormalizeEmbeddings = true;
        var normed = model.EncodeTokens(ids, Captions.Length);
        Close(Get("text_embeds"), normed.Span, EmbeddingTolerance, 0, "text_embeds");
    }

    [Fact]
    public void EncodeTexts_tokenizes_batches_and_matches_pytorch()
    {
        var model = LoadTiny();
        model.EncodeBatchSize = 2; // three batches, the last one partial
        var embeddings = model.EncodeTexts(Captions);
        Assert.Equal((5, 48), (embeddings.Rows, embeddings.Dimension));
        Close(Get("text_embeds"), embeddings.Span, EmbeddingTolerance, 0, "text_embeds");
        for (var i = 0; i < embeddings.Rows; i++)
        {
            Assert.Equal(1f, MathF.Sqrt(embeddings.Row(i).ToArray().Sum(v => v * v)), 5);
        }
    }

    [Fact]
    public void Padding_with_end_of_text_ids_as_hugging_face_does_changes_nothing()
    {
        var model = LoadTiny();
        var ids = Ints("input_ids");
        for (var i = 0; i < ids.Length; i++)
        {
            if (ids[i] == 0)
            {
                ids[i] = ClipTokenizer.EndOfText;
            }
        }

        Close(Get("text_embeds"), model.EncodeTokens(ids, Captions.Length).Span, EmbeddingTolerance, 0, "text_embeds");
    }

    [Fact]
    public void Image_embeddings_match_pytorch_raw_and_normalised()
    {
        var model = LoadTiny();
        var pixels = Get("pixel_values");
        model.NormalizeEmbeddings = false;
        Close(Get("image_embeds_raw"), model.EncodePixels(pixels, 4).Span, EmbeddingTolerance, 1e-4f, "image_embeds_raw");
        model.NormalizeEmbeddings = true;
        var image = model.EncodePixels(pixels, 4);
        Close(Get("image_embeds"), image.Span, EmbeddingTolerance, 0, "image_embeds");

        // logits_per_image = exp(τ)·I·Tᵀ.
        var text = model.EncodeTokens(Ints("input_ids"), Captions.Length);
        var scale = MathF.Exp(model.LogitScale.Value.ToArray()[0]);
        var logits = new float[4 * Captions.Length];
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < Captions.Length; j++)
            {
                var dot = 0f;
                for (var d = 0; d < 48; d++)
                {
                    dot += image.Row(i)[d] * text.Row(j)[d];
                }

                logits[i * Captions.Length + j] = scale * dot;
            }
        }

        Close(Get("logits_per_image"), logits, 2e-3f, 0, "logits_per_image"); // scale ≈ 14.3 times the embedding bound
    }

    [Fact]
    public void One_image_batches_give_the_same_embeddings_as_one_batch_of_four()
    {
        var model = LoadTiny();
        var pixels = Get("pixel_values");
        var per = pixels.Length / 4;
        var expected = Get("image_embeds");
        for (var i = 0; i < 4; i++)
        {
            var row = model.EncodePixels(pixels.AsSpan(i * per, per), 1);
            Close(expected.AsSpan(i * 48, 48), row.Span, EmbeddingTolerance, 0, $"image {i}");
        }
    }

    [Fact]
    public void Contrastive_loss_and_every_gradient_match_pytorch()
    {
        var model = LoadTiny();
        var ids = Ints("input_ids").AsSpan(0, 4 * 77).ToArray();
        model.ZeroGrad();
        var loss = model.ForwardLoss(Get("pixel_values"), ids, 4);
        Close(Get("loss"), [loss], 1e-5f, 1e-5f, "loss");
        model.Backward();

        var rows = Ints("grad_token_rows");
        var checkedCount = 0;
        foreach (var binding in ClipCheckpoint.Bindings(model))
        {
            var actual = binding.Gradient().ToArray();
            var expected = Get("grad." + binding.Name);
            if (binding.Name == "text_model.embeddings.token_embedding.weight")
            {
                // The fixture keeps the rows of the ids in the batch; every other row must be exactly zero.
                var width = 32;
                var gathered = rows.SelectMany(r => actual.AsSpan(r * width, width).ToArray()).ToArray();
                RelativeClose(expected, gathered, GradientTolerance, binding.Name);
                var others = Enumerable.Range(0, 49408).Except(rows).Sum(r => actual.AsSpan(r * width, width).ToArray().Sum(MathF.Abs));
                Assert.Equal(0f, others);
            }
            else
            {
                RelativeClose(expected, actual, GradientTolerance, "grad." + binding.Name);
            }

            checkedCount++;
        }

        Assert.Equal(Reference.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), checkedCount);
    }
}
