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
/// loss (<see cref="ForwardLoss(ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, float)"/> then <see cref="Backward"/>). Load a Hugging Face checkpoint with
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
    private GroupTerms? _groups;

    // The weight of the last ForwardLoss's group term, 0 when it had none; its groups are _groups.
    private float _groupLossWeight;

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
    public float ForwardLoss(ReadOnlySpan<float> pixels, ReadOnlySpan<int> tokens, int batch) => ForwardLoss(pixels, tokens, batch, 1, 0f);

    /// <summary>
    /// <see cref="ForwardLoss(ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/> for a batch made of consecutive groups of
    /// <paramref name="groupSize"/> pairs (a pair and its hard negatives), with the contrastive loss of each group on its
    /// own added at <paramref name="groupLossWeight"/>:
    /// <c>loss = CLIP(batch) + w · Σ_g (G / B) · CLIP(group g)</c>, every term the same symmetric loss with the same
    /// logit scale. Within the batch a group's pairs are <c>G − 1</c> of <c>B − 1</c> negatives, so their share of the
    /// softmax, and of the gradient, shrinks as the rest of the batch is learnt; the group term gives the distinctions
    /// only the group poses (a scene against its edits) a weight of their own. With <paramref name="groupLossWeight"/>
    /// 0 or groups of 1 it is CLIP's loss.
    /// </summary>
    /// <param name="pixels">(B, 3, S, S) preprocessed images.</param>
    /// <param name="tokens">(B, T) token ids; row i describes image i.</param>
    /// <param name="batch">B ≥ 1, a multiple of <paramref name="groupSize"/>.</param>
    /// <param name="groupSize">G ≥ 1: rows g·G … g·G + G − 1 are group g.</param>
    /// <param name="groupLossWeight">w ≥ 0.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">G &lt; 1, B not a multiple of G, or w negative or not finite.</exception>
    public float ForwardLoss(ReadOnlySpan<float> pixels, ReadOnlySpan<int> tokens, int batch, int groupSize, float groupLossWeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groupSize);
        if (batch % groupSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, $"The batch of {batch} pairs does not split into groups of {groupSize}.");
        }

        if (!(groupLossWeight >= 0f) || !float.IsFinite(groupLossWeight))
        {
            throw new ArgumentOutOfRangeException(nameof(groupLossWeight), groupLossWeight, "Expected a finite weight ≥ 0.");
        }

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
        _groupLossWeight = 0f;
        if (groupLossWeight > 0f && groupSize > 1)
        {
            var groups = Groups(batch, groupSize);
            double sum = 0;
            for (var g = 0; g < groups.Count; g++)
            {
                sum += Backend.ContrastiveLossForward(groups.Logits[g], groups.RowLse[g], groups.ColumnLse[g], groups.Image[g], groups.Text[g], LogitScale.Value);
            }

            loss += (float)(groupLossWeight * groupSize / batch * sum);
            _groupLossWeight = groupLossWeight;
        }

        _lossReady = true;
        return loss;
    }

    /// <summary>Backward pass of the last <see cref="ForwardLoss(ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, float)"/>: accumulates the gradient of every parameter.</summary>
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
        if (_groupLossWeight > 0f)
        {
            var groups = _groups!;
            var dLoss = _groupLossWeight * groups.Size / n;
            for (var g = 0; g < groups.Count; g++)
            {
                // Each group's backward writes its own rows of the group gradients, so together they fill them.
                Backend.ContrastiveLossBackward(
                    groups.DImage[g], groups.DText[g], LogitScale.Gradient, groups.DLogits[g], groups.Logits[g], groups.RowLse[g],
                    groups.ColumnLse[g], groups.Image[g], groups.Text[g], LogitScale.Value, dLoss);
            }

            Backend.Axpy(_dImage, 1f, groups.DImageAll);
            Backend.Axpy(_dText, 1f, groups.DTextAll);
        }

        Backend.L2NormalizeBackward(_dImageRaw, _dImage, _imageNormed!, _imageNorms!, NormEpsilon);
        Backend.L2NormalizeBackward(_dTextRaw, _dText, _textNormed!, _textNorms!, NormEpsilon);
        Vision.Backward(_dImageRaw);
        Text.Backward(_dTextRaw);
        _lossReady = false;
    }

    /// <summary>The logits s·I·Tᵀ (images × texts) of the last <see cref="ForwardLoss(ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, float)"/>, downloaded.</summary>
    public float[] LastLogits() => (_logits ?? throw new InvalidOperationException("No ForwardLoss has run yet.")).ToArray();

    /// <summary>Views of one group's rows of the normalised features and its own logits and gradients, built once per
    /// (batch, group size, feature buffers) so a training loop's steady state allocates nothing; a new shape reuses the
    /// previous buffers' storage when it is large enough (<see cref="Module.Buffer"/>).</summary>
    private GroupTerms Groups(int batch, int groupSize)
    {
        if (_groups is { } cached && cached.Batch == batch && cached.Size == groupSize
            && ReferenceEquals(cached.ImageSource, _imageNormed) && ReferenceEquals(cached.TextSource, _textNormed))
        {
            return cached;
        }

        var count = batch / groupSize;
        var d = Dimension;
        var old = _groups;
        var groups = new GroupTerms(
            batch, groupSize, _imageNormed!, _textNormed!, Buffer(old?.LogitsAll, count, groupSize, groupSize),
            Buffer(old?.RowLseAll, count, groupSize), Buffer(old?.ColumnLseAll, count, groupSize),
            Buffer(old?.DLogitsAll, count, groupSize, groupSize), Buffer(old?.DImageAll, batch, d), Buffer(old?.DTextAll, batch, d));
        for (var g = 0; g < count; g++)
        {
            long rows = (long)g * groupSize * d, square = (long)g * groupSize * groupSize, line = (long)g * groupSize;
            groups.Image[g] = _imageNormed!.View(rows, groupSize, d);
            groups.Text[g] = _textNormed!.View(rows, groupSize, d);
            groups.Logits[g] = groups.LogitsAll.View(square, groupSize, groupSize);
            groups.DLogits[g] = groups.DLogitsAll.View(square, groupSize, groupSize);
            groups.RowLse[g] = groups.RowLseAll.View(line, groupSize);
            groups.ColumnLse[g] = groups.ColumnLseAll.View(line, groupSize);
            groups.DImage[g] = groups.DImageAll.View(rows, groupSize, d);
            groups.DText[g] = groups.DTextAll.View(rows, groupSize, d);
        }

        _groups = groups;
        return groups;
    }

    private sealed class GroupTerms(
        int batch, int size, Tensor imageSource, Tensor textSource, Tensor logitsAll, Tensor rowLseAll, Tensor columnLseAll,
        Tensor dLogitsAll, Tensor dImageAll, Tensor dTextAll)
    {
        public int Batch { get; } = batch;
        public int Size { get; } = size;
        public int Count => Image.Length;
        public Tensor ImageSource { get; } = imageSource;
        public Tensor TextSource { get; } = textSource;
        public Tensor LogitsAll { get; } = logitsAll;
        public Tensor RowLseAll { get; } = rowLseAll;
        public Tensor ColumnLseAll { get; } = columnLseAll;
        public Tensor DLogitsAll { get; } = dLogitsAll;
        public Tensor DImageAll { get; } = dImageAll;
        public Tensor DTextAll { get; } = dTextAll;
        public Tensor[] Image { get; } = new Tensor[batch / size];
        public Tensor[] Text { get; } = new Tensor[batch / size];
        public Tensor[] Logits { get; } = new Tensor[batch / size];
        public Tensor[] DLogits { get; } = new Tensor[batch / size];
        public Tensor[] RowLse { get; } = new Tensor[batch / size];
        public Tensor[] ColumnLse { get; } = new Tensor[batch / size];
        public Tensor[] DImage { get; } = new Tensor[batch / size];
        public Tensor[] DText { get; } = new Tensor[batch / size];
    }

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
