using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using CrossModal.Tensors.Nn;
using CrossModal.Text;

namespace CrossModal.Models.Clip;

/// <summary>
/// The Hugging Face <c>CLIPModel</c> layout behind <see cref="ClipModel.Load"/> and <see cref="ClipModel.Save"/>: a folder with <c>config.json</c>
/// (<c>text_config</c>, <c>vision_config</c>, <c>projection_dim</c>) and <c>model.safetensors</c> (F32, F16 or BF16)
/// holding <c>text_model.*</c>, <c>vision_model.*</c>, <c>visual_projection.weight</c>, <c>text_projection.weight</c>
/// and <c>logit_scale</c> — e.g. openai/clip-vit-base-patch32 as downloaded from the Hugging Face Hub.
/// </summary>
/// <remarks>
/// Hugging Face keeps separate q/k/v projections; the nn layer packs them as one Q|K|V linear (rows [0, C) = q,
/// [C, 2C) = k, [2C, 3C) = v), so each of them binds to a window of <c>c_attn</c>. The patch convolution's
/// (C, 3, p, p) weight binds, unchanged in memory, to the (C, 3p²) patch linear.
/// </remarks>
public static class ClipCheckpoint
{
    /// <summary>The configuration file of a checkpoint folder.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>The weights file of a checkpoint folder.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>
    /// Loads a Hugging Face <c>CLIPModel</c> folder. Every tensor is checked before any is read: unknown names,
    /// missing names, wrong shapes and unsupported dtypes are reported together in one error. The
    /// <c>*.embeddings.position_ids</c> buffers that older checkpoints carry are ignored.
    /// </summary>
    /// <param name="directory">The folder holding <c>config.json</c> and <c>model.safetensors</c>.</param>
    /// <param name="backend">Where the model lives; the process-wide CPU backend by default.</param>
    /// <returns>The model, in evaluation mode.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing.</exception>
    /// <exception cref="InvalidDataException">The files do not hold a matching CLIP checkpoint; the message lists every problem.</exception>
    internal static ClipModel Read(string directory, IComputeBackend? backend)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"CLIP model folder '{directory}' does not exist.");
        }

        var configPath = Path.Combine(directory, ConfigFileName);
        var weightsPath = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"'{directory}' holds no {ConfigFileName}; expected a Hugging Face CLIPModel folder.", configPath);
        }

        if (!File.Exists(weightsPath))
        {
            var hint = File.Exists(Path.Combine(directory, "pytorch_model.bin"))
                ? " (it has pytorch_model.bin; download model.safetensors instead)"
                : string.Empty;
            throw new FileNotFoundException($"'{directory}' holds no {WeightsFileName}{hint}.", weightsPath);
        }

        var config = ClipConfig.Load(configPath);
        var model = new ClipModel(backend ?? Tensors.Cpu.CpuBackend.Default, config);
        using (var reader = SafeTensorsReader.Open(weightsPath))
        {
            LoadWeights(model, reader);
        }

        model.Eval();
        return model;
    }

    /// <summary>Loads weights in Hugging Face naming into <paramref name="model"/>.</summary>
    /// <param name="model">A model of the checkpoint's shape.</param>
    /// <param name="reader">An open safetensors file.</param>
    /// <exception cref="InvalidDataException">Unknown, missing, mis-shaped or unreadable tensors, all listed.</exception>
    public static void LoadWeights(ClipModel model, SafeTensorsReader reader)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(reader);
        var bindings = Bindings(model).ToDictionary(b => b.Name, StringComparer.Ordinal);
        var problems = new List<string>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in reader.Names)
        {
            if (name.EndsWith(".embeddings.position_ids", StringComparison.Ordinal))
            {
                continue;
            }

            if (!bindings.TryGetValue(name, out var binding))
            {
                problems.Add($"unexpected tensor '{name}'");
                continue;
            }

            present.Add(name);
            var shape = reader.GetShape(name);
            if (!binding.Accepts(shape))
            {
                problems.Add($"'{name}' has shape {TensorShape.Format(shape)} but the config needs {TensorShape.Format(binding.Shape)}");
            }
            else if (!reader.CanRead(name))
            {
                problems.Add($"'{name}' has dtype {reader.GetDType(name)}; expected F32, F16, BF16 or F64");
            }
        }

        foreach (var name in bindings.Keys)
        {
            if (!present.Contains(name))
            {
                problems.Add($"missing tensor '{name}'");
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException(
                $"{reader.SourceName} does not match the CLIP config ({model.Config}): {problems.Count} problem(s): {string.Join("; ", problems)}.");
        }

        var host = Array.Empty<float>();
        foreach (var binding in bindings.Values)
        {
            var count = checked((int)binding.Length);
            if (host.Length < count)
            {
                host = new float[count];
            }

            reader.Read(binding.Name, host.AsSpan(0, count));
            binding.Value().CopyFrom(host.AsSpan(0, count));
        }
    }

    /// <summary>Writes <paramref name="model"/> as a Hugging Face <c>CLIPModel</c> folder (<c>config.json</c> and an F32
    /// <c>model.safetensors</c>, each written atomically), loadable by <see cref="ClipModel.Load"/> and by <c>transformers</c>.</summary>
    /// <param name="directory">The folder; created if missing.</param>
    /// <param name="model">The model.</param>
    internal static void Write(string directory, ClipModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var tensors = new Dictionary<string, HostArray>(StringComparer.Ordinal);
        foreach (var binding in Bindings(model))
        {
            tensors[binding.Name] = new HostArray((int[])binding.Shape.Clone(), binding.Value().ToArray());
        }

        SafeTensorsFile.Write(Path.Combine(directory, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        model.Config.Save(Path.Combine(directory, ConfigFileName));
    }

    /// <summary>Every Hugging Face tensor name of <paramref name="model"/> with its shape and the window of the
    /// model's parameter it binds to (values or gradients).</summary>
    /// <param name="model">The model.</param>
    internal static IReadOnlyList<ClipBinding> Bindings(ClipModel model)
    {
        var list = new List<ClipBinding>();
        var cfg = model.Config;

        void Whole(string name, Parameter p, params int[] shape) => list.Add(new ClipBinding(name, shape, p, 0));

        void Encoder(string prefix, TransformerStack stack, int c, int hidden)
        {
            for (var i = 0; i < stack.Blocks.Count; i++)
            {
                var block = stack.Blocks[i];
                var q = string.Create(CultureInfo.InvariantCulture, $"{prefix}.encoder.layers.{i}.");
                Whole(q + "layer_norm1.weight", block.Norm1.Weight, c);
                Whole(q + "layer_norm1.bias", block.Norm1.Bias, c);
                var qkv = block.Attention.QkvProjection;
                string[] parts = ["q_proj", "k_proj", "v_proj"];
                for (var j = 0; j < 3; j++)
                {
                    list.Add(new ClipBinding(q + $"self_attn.{parts[j]}.weight", [c, c], qkv.Weight, (long)j * c * c));
                    list.Add(new ClipBinding(q + $"self_attn.{parts[j]}.bias", [c], qkv.Bias!, (long)j * c));
                }

                Whole(q + "self_attn.out_proj.weight", block.Attention.OutputProjection.Weight, c, c);
                Whole(q + "self_attn.out_proj.bias", block.Attention.OutputProjection.Bias!, c);
                Whole(q + "layer_norm2.weight", block.Norm2.Weight, c);
                Whole(q + "layer_norm2.bias", block.Norm2.Bias, c);
                Whole(q + "mlp.fc1.weight", block.Mlp.Fc.Weight, hidden, c);
                Whole(q + "mlp.fc1.bias", block.Mlp.Fc.Bias!, hidden);
                Whole(q + "mlp.fc2.weight", block.Mlp.Projection.Weight, c, hidden);
                Whole(q + "mlp.fc2.bias", block.Mlp.Projection.Bias!, c);
            }
        }

        var t = model.Text;
        var ct = cfg.Text.Width;
        Whole("text_model.embeddings.token_embedding.weight", t.TokenEmbedding.Weight, cfg.Text.VocabularySize, ct);
        Whole("text_model.embeddings.position_embedding.weight", t.PositionEmbedding.Weight, cfg.Text.Context, ct);
        Encoder("text_model", t.Encoder, ct, cfg.Text.MlpHidden);
        Whole("text_model.final_layer_norm.weight", t.FinalNorm.Weight, ct);
        Whole("text_model.final_layer_norm.bias", t.FinalNorm.Bias, ct);

        if (model.Vision is ClipConvVisionEncoder conv)
        {
            for (var i = 0; i < conv.Convolutions.Count; i++)
            {
                var layer = conv.Convolutions[i];
                var q = string.Create(CultureInfo.InvariantCulture, $"vision_model.layers.{i}.");
                Whole(q + "weight", layer.Weight, layer.OutChannels, layer.InChannels, layer.Kernel, layer.Kernel);
                Whole(q + "bias", layer.Bias!, layer.OutChannels);
            }

            Whole("vision_model.post_layernorm.weight", conv.PostNorm.Weight, conv.Projection.InFeatures);
            Whole("vision_model.post_layernorm.bias", conv.PostNorm.Bias, conv.Projection.InFeatures);
            Whole("visual_projection.weight", conv.Projection.Weight, cfg.ProjectionDim, conv.Projection.InFeatures);
            if (conv.PoolProjection is { } pooled)
            {
                Whole("vision_model.pool_layernorm.weight", conv.PoolNorm!.Weight, pooled.InFeatures);
                Whole("vision_model.pool_layernorm.bias", conv.PoolNorm.Bias, pooled.InFeatures);
                Whole("vision_model.pool_projection.weight", pooled.Weight, cfg.ProjectionDim, pooled.InFeatures);
            }

            Whole("text_projection.weight", t.Projection.Weight, cfg.ProjectionDim, ct);
            list.Add(new ClipBinding("logit_scale", [], model.LogitScale, 0));
            return list;
        }

        var v = (ClipVisionEncoder)model.Vision;
        var cv = cfg.Vision.Width;
        var ps = cfg.Vision.PatchSize;
        Whole("vision_model.embeddings.class_embedding", v.ClassEmbedding, cv);
        Whole("vision_model.embeddings.patch_embedding.weight", v.PatchEmbedding.Weight, cv, 3, ps, ps);
        Whole("vision_model.embeddings.position_embedding.weight", v.PositionEmbedding.Weight, cfg.Vision.Patches + 1, cv);
        Whole("vision_model.pre_layrnorm.weight", v.PreNorm.Weight, cv);
        Whole("vision_model.pre_layrnorm.bias", v.PreNorm.Bias, cv);
        Encoder("vision_model", v.Encoder, cv, cfg.Vision.MlpHidden);
        Whole("vision_model.post_layernorm.weight", v.PostNorm.Weight, cv);
        Whole("vision_model.post_layernorm.bias", v.PostNorm.Bias, cv);
        Whole("visual_projection.weight", v.Projection.Weight, cfg.ProjectionDim, cv);
        Whole("text_projection.weight", t.Projection.Weight, cfg.ProjectionDim, ct);
        list.Add(new ClipBinding("logit_scale", [], model.LogitScale, 0));
        return list;
    }
}

/// <summary>One Hugging Face tensor and the window of a parameter it occupies.</summary>
/// <param name="Name">Hugging Face name.</param>
/// <param name="Shape">Hugging Face shape (<c>[]</c> for the scalar <c>logit_scale</c>).</param>
/// <param name="Parameter">The parameter holding it.</param>
/// <param name="Offset">Element offset inside the parameter.</param>
internal sealed record ClipBinding(string Name, int[] Shape, Parameter Parameter, long Offset)
{
    /// <summary>Element count.</summary>
    public long Length => TensorShape.ElementCount(Shape);

    /// <summary>The window of the parameter's values.</summary>
    public Tensor Value() => Parameter.Value.View(Offset, Shape.Length == 0 ? [1] : Shape);

    /// <summary>The window of the parameter's gradient.</summary>
    public Tensor Gradient() => Parameter.Gradient.View(Offset, Shape.Length == 0 ? [1] : Shape);

    /// <summary>Whether a stored tensor of <paramref name="shape"/> fits (a scalar may also be stored as [1]).</summary>
    /// <param name="shape">The stored shape.</param>
    public bool Accepts(ReadOnlySpan<int> shape) =>
        shape.SequenceEqual(Shape) || (Shape.Length == 0 && shape.Length == 1 && shape[0] == 1);
}
