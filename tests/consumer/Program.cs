// A text-only image captioner in one file: CLIP embeds captions and images, the C3 bridge closes the gap between
// the two modalities, and a small captioner trained on captions alone captions the images.
using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Models.Captioning;
using CrossModal.Models.Clip;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.IO;
using CrossModal.Text;
using CrossModal.Training.Captioning;

// 1. A CLIP model. This one is tiny and randomly initialised so that the program runs anywhere in seconds; for
//    captions that describe the image, load a pretrained one instead: ClipModel.Load("clip-vit-base-patch32").
var clip = new ClipModel(CpuBackend.Default, new ClipConfig
{
    ProjectionDim = 32,
    Text = new ClipTextConfig { Width = 32, MlpHidden = 64, Heads = 2, Layers = 1 },
    Vision = new ClipVisionConfig { Width = 32, MlpHidden = 64, Heads = 2, Layers = 1, ImageSize = 32, PatchSize = 8 },
});
clip.ResetParameters(seed: 1);

// 2. Captions alone: the training data. No image is paired with any of them.
string[] captions =
[
    "a red square on a white table",
    "a blue ball next to a green box",
    "two yellow stars above a black line",
    "a small purple heart in the corner",
    "three orange dots in a row",
    "a grey cloud over a blue sea",
];
EmbeddingMatrix texts = clip.EncodeTexts(captions);

// 3. Images, unpaired: the bridge needs only their mean embedding. From files: ImageDecoder.Default.Decode("photo.png")
//    (PNG, PNM, JPEG; more formats through CrossModal.Imaging.Skia).
ImageData[] images = [Solid(220, 30, 30), Solid(30, 60, 220), Solid(240, 220, 40)];
EmbeddingMatrix imageEmbeddings = clip.EncodeImages(images);

// 4. The C3 bridge: collapse (remove each modality's mean), then Gaussian noise while training.
BridgePipeline bridge = BridgePresets.Create(BridgePreset.C3);
bridge.Fit(new BridgeFitData { UnpairedTexts = texts, UnpairedImages = imageEmbeddings });

// 5. A small captioner (a prefix language model) trained on the bridged text embeddings of the captions.
var tokenizer = WordTokenizer.Build(captions);
var model = new PrefixLanguageModel(CpuBackend.Default, new PrefixLanguageModelOptions
{
    Mapper = PrefixMapperKind.Mlp,
    EmbeddingDimension = texts.Dimension,
    PrefixLength = 2,
    Decoder = new Gpt2DecoderOptions { VocabularySize = tokenizer.VocabularySize, Context = 16, Width = 64, Layers = 2, Heads = 4 },
});
model.ResetParameters(seed: 2);
var trainer = new CaptionTrainer(model, tokenizer, bridge, new CaptionTrainerOptions
{
    Epochs = 40, BatchSize = 6, LearningRate = 3e-3f, WarmupSteps = 5, ValidationFraction = 0, Seed = 3,
});
CaptionTrainingResult result = trainer.Train(captions, texts);
Console.Error.WriteLine($"trained {result.Steps} steps: loss {result.StepLosses[0]:F3} -> {result.StepLosses[^1]:F3}");
if (!(result.StepLosses[^1] < result.StepLosses[0]))
{
    Console.Error.WriteLine("error: training did not lower the loss");
    return 1;
}

// 6. Caption the images: the captioner applies the bridge's inference side to the image embeddings first.
var decoding = new DecodingOptions { Strategy = DecodingStrategy.Greedy, MaxTokens = 12 };
IReadOnlyList<string> generated = new PrefixCaptioner(model, tokenizer, bridge, decoding).Caption(imageEmbeddings);
foreach (var caption in generated)
{
    Console.WriteLine(caption);
}

// 7. Save the captioner (weights, tokenizer and fitted bridge in one file) and the image embeddings: another process,
//    or `crossmodal caption --model captioner.safetensors --image-embeddings images.npy`, captions them the same way.
new CaptionerCheckpoint(model, tokenizer) { Bridge = bridge }.Save("captioner.safetensors");
NpyFile.Write("images.npy", new HostArray([imageEmbeddings.Rows, imageEmbeddings.Dimension], imageEmbeddings.Span.ToArray()));
var reloaded = CaptionerCheckpoint.Load("captioner.safetensors").ToCaptioner(decoding).Caption(imageEmbeddings);
if (!reloaded.SequenceEqual(generated))
{
    Console.Error.WriteLine("error: the saved captioner captions differently");
    return 1;
}

return 0;

// A solid-colour 48×48 RGB image.
static ImageData Solid(byte red, byte green, byte blue)
{
    var pixels = new byte[48 * 48 * 3];
    for (var i = 0; i < pixels.Length; i += 3)
    {
        (pixels[i], pixels[i + 1], pixels[i + 2]) = (red, green, blue);
    }

    return new ImageData(48, 48, pixels);
}
