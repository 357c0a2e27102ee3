using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;
using CrossModal.Text;

namespace CrossModal.Models.Clip;

/// <summary>
/// CLIP (Radford et al., 2021): an image tower (<see cref="ClipImageTower"/>, a ViT or a small convolutional network) and a <see cref="ClipTextEncoder"/> projecting into
/// one D-dimensional space, and a learnable log logit scale τ. Encodes texts and images for the rest of the library
/// (<see cref="ITextEncoder"/>, <see cref="IImageEncoder"/>) and trains from scratch with the symmetric contrastive
/// loss (<see cref="ForwardLoss"/> then <see cref="Backward"/>). Load a Hugging Face checkpoint with
/// <see cref="Load"/>. Parameter names: <c>vision_model.*</c>, <c>text_model.*</c>, <c>logit_scale</c>.
/// </summary>
/// <remarks>Not thread-safe: every call reuses the model's buffers. Everything runs through
/// <see cref="Module.Backend"/>; host memory is touched only to upload pixels and token ids and to download results.</remarks>
public sealed class ClipModel : Module, ITextEncoder, IImageEncoder
{
    /// <summary>ε of the L2 normalisation (guards all-zero features).</summary>
    public const float NormEpsilon = 1e-12f;

    private readonly ClipTokenizer _tokenizer;
    private readonly ClipImagePreprocessor _preprocessor;
    private Tensor? _imageNormed;
    private Tensor? _imageNorms;
    private Tensor? _textNormed;
    private Tensor? _textNorms;
    private Tensor? _logits;
    private Tensor? _rowLse;
    private Tensor? _columnLse;
    private Tensor? _dLogits;
    private Tensor? _dImage;
    private Tensor? _dText;
    private Tensor? _dImageRaw;
    private Tensor? _dTextRaw;
    private bool _lossReady;

    /// <summary>Creates a model; call <see cref="Module.ResetParameters"/> to train from scratch, or use <see cref="Load"/>.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="config">The shape; validated.</param>
    /// <param name="tokenizer">The tokenizer for <see cref="EncodeTexts"/>; CLIP's BPE by default (its ids need a text
    /// vocabulary of 49408; a smaller model trained on its own ids can still use <see cref="EncodeTokens(ReadOnlySpan{int}, int)"/>).</param>
    public ClipModel(IComputeBackend backend, ClipConfig config, ClipTokenizer? tokenizer = null)
        : base(backend)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        _tokenizer = tokenizer ?? ClipTokenizer.Shared;

        Vision = AddModule("vision_model", ClipImageTower.Create(backend, config.Vision, config.ProjectionDim));
        Text = AddModule("text_model", new ClipTextEncoder(backend, config.Text, config.ProjectionDim));
        LogitScale = AddParameter("logit_scale", ParameterInit.Zeros, 1);
        LogitScale.WeightDecay = false;
        _preprocessor = new ClipImagePreprocessor(config.Vision.ImageSize);
    }

    /// <summary>The shape it was built with.</summary>
    public ClipConfig Config { get; }

    /// <summary>The image tower: a <see cref="ClipVisionEncoder"/> (ViT) or a <see cref="ClipConvVisionEncoder"/>, as
    /// <see cref="ClipVisionConfig.Tower"/> says.</summary>
    public ClipImageTower Vision { get; }

    /// <summary>The text tower.</summary>
    public ClipTextEncoder Text { get; }

    /// <summary>(1) τ; logits are scaled by min(exp(τ), 100).</summary>
    public Parameter LogitScale { get; }

    /// <summary>D, the width of the joint embedding space.</summary>
    public int Dimension => Config.ProjectionDim;

    /// <summary>Whether <see cref="EncodeTexts"/>, <see cref="EncodeImages"/>, <see cref="EncodeTokens(ReadOnlySpan{int}, int)"/> and
    /// <see cref="EncodePixels"/> return L2-normalised embeddings.</summary>
    /// <value>True; false gives the raw projections.</value>
    public bool NormalizeEmbeddings { get; set; } = true;

    /// <summary>How many texts or images one forward pass takes when encoding lists.</summary>
    /// <value>32.</value>
    public int EncodeBatchSize
    {
        get => _encodeBatchSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _encodeBatchSize = value;
        }
    }

    private int _encodeBatchSize = 32;

    /// <summary>The image preprocessing this model expects (resize, centre crop, CLIP normalisation).</summary>
    public ClipImagePreprocessor Preprocessor => _preprocessor;

    /// <summary>
    /// Loads a Hugging Face <c>CLIPModel</c> folder (<c>config.json</c> and <c>model.safetensors</c>, F32, F16 or BF16),
    /// e.g. openai/clip-vit-base-patch32 as downloaded from the Hub. Every tensor is checked before any is read: unknown
    /// names, missing names, wrong shapes and unsupported dtypes are reported together in one error.
    /// </summary>
    /// <param name="path">The folder.</param>
    /// <param name="backend">Where the model lives; the process-wide CPU backend by default.</param>
    /// <returns>The model, in evaluation mode, encoding texts with CLIP's BPE.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing.</exception>
    /// <exception cref="InvalidDataException">The files do not hold a CLIP checkpoint; the message names the file and lists every problem.</exception>
    public static ClipModel Load(string path, IComputeBackend? backend = null) => ClipCheckpoint.Read(path, backend);

    /// <summary>Writes the model as a Hugging Face <c>CLIPModel</c> folder (<c>config.json</c> and an F32
    /// <c>model.safetensors</c>, each written to a temporary file and renamed), loadable by <see cref="Load"/> and by
    /// <c>transformers</c>.</summary>
    /// <param name="path">The folder; created if missing.</param>
    public void Save(string path) => ClipCheckpoint.Write(path, this);

    /// <summary>Draws every own parameter from its descriptor, then sets τ to <see cref="ClipConfig.LogitScaleInit"/>
    /// (the descriptor would leave it at zero, a temperature of 1 instead of CLIP's 1/0.07).</summary>
    /// <param name="random">The generator of the reset.</param>
    protected override void ResetParametersCore(Random random)
    {
        base.ResetParametersCore(random);
        LogitScale.Value.CopyFrom([Config.LogitScaleInit]);
    }

    /// <inheritdoc />
    public EmbeddingMatrix EncodeTexts(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var context = Config.Text.Context;
        var result = new EmbeddingMatrix(texts.Count, Dimension);
        var ids = new int[Math.Min(EncodeBatchSize, Math.Max(texts.Count, 1)) * context];
        for (var start = 0; start < texts.Count; start += EncodeBatchSize)
        {
            var count = Math.Min(EncodeBatchSize, texts.Count - start);
            for (var i = 0; i < count; i++)
            {
                var text = texts[start + i] ?? throw new ArgumentException($"Text {start + i} is null.", nameof(texts));
                _tokenizer.EncodeContext(text, context).CopyTo(ids.AsSpan(i * context, context));
            }

            var features = EncodeTokens(ids.AsSpan(0, count * context), count);
            features.Span.CopyTo(result.Span.Slice(start * Dimension));
        }

        return result;
    }

    /// <inheritdoc />
    public EmbeddingMatrix EncodeImages(IReadOnlyList<ImageData> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var per = Vision.PixelsPerImage;
        var result = new EmbeddingMatrix(images.Count, Dimension);
        var pixels = new float[Math.Min(EncodeBatchSize, Math.Max(images.Count, 1)) * per];
        var batch = new List<ImageData>(EncodeBatchSize);
        for (var start = 0; start < images.Count; start += EncodeBatchSize)
        {
            var count = Math.Min(EncodeBatchSize, images.Count - start);
            batch.Clear();
            for (var i = 0; i < count; i++)
            {
                batch.Add(images[start + i] ?? throw new ArgumentException($"Image {start + i} is null.", nameof(images)));
            }

            _preprocessor.PreprocessBatch(batch, pixels);
            var features = EncodePixels(pixels.AsSpan(0, count * per), count);
            features.Span.CopyTo(result.Span.Slice(start * Dimension));
        }

        return result;
    }

    /// <summary>Encodes token ids (see <see cref="ClipTextEncoder.Forward"/>).</summary>
    /// <param name="tokens">(B, T) ids, T ≤ context.</param>
    /// <param name="batch">B.</param>
    /// <returns>(B, D), normalised when <see cref="NormalizeEmbeddings"/>.</returns>
    public EmbeddingMatrix EncodeTokens(ReadOnlySpan<int> tokens, int batch) => Finish(Text.Forward(tokens, batch), ref _textNormed, ref _textNorms);

    /// <summary>
    /// Encodes token ids into <paramref name="destination"/> (see <see cref="ClipTextEncoder.Forward"/>): the
    /// allocation-free form of <see cref="EncodeTokens(ReadOnlySpan{int}, int)"/> for a training loop.
    /// </summary>
    /// <param name="tokens">(B, T) ids, T ≤ context.</param>
    /// <param name="batch">B.</param>
    /// <param name="destination">(B·D) written, normalised when <see cref="NormalizeEmbeddings"/>.</param>
    public void EncodeTokens(ReadOnlySpan<int> tokens, int batch, Span<float> destination)
    {
        if (destination.Length != (long)batch * Dimension)
        {
            throw new ArgumentException($"Expected room for {batch}×{Dimension} values but got {destination.Length}.", nameof(destination));
        }

        Normalize(Text.Forward(tokens, batch), ref _textNormed, ref _textNorms).CopyTo(destination);
    }

    /// <summary>Encodes preprocessed pixels (see <see cref="ClipImageTower.Forward"/>).</summary>
    /// <param name="pixels">(B, 3, S, S).</param>
    /// <param name="batch">B.</param>
    /// <returns>(B, D), normalised when <see cref="NormalizeEmbeddings"/>.</returns>
    public EmbeddingMatrix EncodePixels(ReadOnlySpan<float> pixels, int batch) => Finish(Vision.Forward(pixels, batch), ref _imageNormed, ref _imageNorms);

    /// <summary>
    /// Forward pass of a batch of matched pairs and CLIP's symmetric contrastive loss
    /// ½·(CE(s·I·Tᵀ, arange) + CE(s·T·Iᵀ, arange)) over L2-normalised features, s = min(exp(τ), 100).
    /// </summary>
    /// <param name="pixels">(B, 3, S, S) preprocessed images.</param>
    /// <param name="tokens">(B, T) token ids; row i describes image i.</param>
    /// <param name="batch">B ≥ 1.</param>
    /// <returns>The loss.</returns>
    public float ForwardLoss(ReadOnlySpan<float> pixels, ReadOnlySpan<int> tokens, int batch)
    {
        var image = Vision.Forward(pixels, batch);
        var text = Text.Forward(tokens, batch);
        _imageNormed = Buffer(_imageNormed, batch, Dimension);
        _imageNorms = Buffer(_imageNorms, batch);
        _textNormed = Buffer(_textNormed, batch, Dimension);
        _textNorms = Buffer(_textNorms, batch);
        Backend.L2NormalizeForward(_imageNormed, _imageNorms, image, NormEpsilon);
        Backend.L2NormalizeForward(_textNormed, _textNorms, text, NormEpsilon);
        _logits = Buffer(_logits, batch, batch);
        _rowLse = Buffer(_rowLse, batch);
        _columnLse = Buffer(_columnLse, batch);
        var loss = Backend.ContrastiveLossForward(_logits, _rowLse, _columnLse, _imageNormed, _textNormed, LogitScale.Value);
        _lossReady = true;
        return loss;
    }

    /// <summary>Backward pass of the last <see cref="ForwardLoss"/>: accumulates the gradient of every parameter.</summary>
    public void Backward()
    {
        if (!_lossReady)
        {
            throw new InvalidOperationException("ClipModel.Backward needs a ForwardLoss first.");
        }

        var n = _logits!.Dim(0);
        _dLogits = Buffer(_dLogits, n, n);
        _dImage = Buffer(_dImage, n, Dimension);
        _dText = Buffer(_dText, n, Dimension);
        _dImageRaw = Buffer(_dImageRaw, n, Dimension);
        _dTextRaw = Buffer(_dTextRaw, n, Dimension);
        Backend.ContrastiveLossBackward(
            _dImage, _dText, LogitScale.Gradient, _dLogits, _logits, _rowLse!, _columnLse!, _imageNormed!, _textNormed!, LogitScale.Value, 1f);
        Backend.L2NormalizeBackward(_dImageRaw, _dImage, _imageNormed!, _imageNorms!, NormEpsilon);
        Backend.L2NormalizeBackward(_dTextRaw, _dText, _textNormed!, _textNorms!, NormEpsilon);
        Vision.Backward(_dImageRaw);
        Text.Backward(_dTextRaw);
        _lossReady = false;
    }

    /// <summary>The logits s·I·Tᵀ (images × texts) of the last <see cref="ForwardLoss"/>, downloaded.</summary>
    public float[] LastLogits() => (_logits ?? throw new InvalidOperationException("No ForwardLoss has run yet.")).ToArray();

    private EmbeddingMatrix Finish(Tensor features, ref Tensor? normed, ref Tensor? norms)
    {
        var output = Normalize(features, ref normed, ref norms);
        var result = new EmbeddingMatrix(output.Dim(0), Dimension);
        output.CopyTo(result.Span);
        return result;
    }

    private Tensor Normalize(Tensor features, ref Tensor? normed, ref Tensor? norms)
    {
        var batch = features.Dim(0);
        var output = features;
        if (NormalizeEmbeddings)
        {
            normed = Buffer(normed, batch, Dimension);
            norms = Buffer(norms, batch);
            Backend.L2NormalizeForward(normed, norms, features, NormEpsilon);
            output = normed;
        }

        _lossReady = false;
        return output;
    }
}
