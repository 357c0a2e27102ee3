using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Captioning;

/// <summary>
/// Hugging Face <c>GPT2LMHeadModel</c> (or <c>GPT2Model</c>) checkpoints, behind <see cref="Gpt2Decoder.Load"/> and
/// <see cref="Gpt2Decoder.Save"/>: <c>config.json</c> and
/// <c>model.safetensors</c>. GPT-2's projections are <c>Conv1D</c> layers whose weights are stored (in, out), the
/// transpose of a Linear's (out, in) (<c>transformers/pytorch_utils.py</c>), so they are transposed on load. The LM head
/// is tied to <c>transformer.wte.weight</c>; a stored <c>lm_head.weight</c> must equal it. The causal-mask buffers
/// (<c>attn.bias</c>, <c>attn.masked_bias</c>) of older checkpoints are ignored.
/// </summary>
public static class Gpt2Checkpoint
{
    private static readonly string[] Conv1DSuffixes = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"];

    /// <summary>Reads a GPT-2 <c>config.json</c>.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">A required field is missing or the activation is not GPT-2's.</exception>
    public static Gpt2DecoderOptions ReadConfig(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var document = ParseJson(path);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("model_type", out var modelType) && modelType.ValueKind == JsonValueKind.String &&
            modelType.GetString() != "gpt2")
        {
            throw new InvalidDataException($"{path}: model_type '{modelType.GetString()}' is not a GPT-2 checkpoint; expected \"gpt2\" (a GPT2LMHeadModel folder).");
        }

        int Required(params string[] names)
        {
            foreach (var name in names)
            {
                if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number))
                {
                    return number;
                }
            }

            throw new InvalidDataException($"{path}: expected the integer field \"{names[0]}\".");
        }

        if (root.TryGetProperty("activation_function", out var activation) && activation.ValueKind == JsonValueKind.String &&
            activation.GetString() is not ("gelu_new" or "gelu_pytorch_tanh"))
        {
            throw new InvalidDataException($"{path}: activation_function '{activation.GetString()}' is not supported; GPT-2 uses 'gelu_new' (tanh GELU).");
        }

        if (root.TryGetProperty("n_inner", out var inner) && inner.ValueKind == JsonValueKind.Number && !(inner.TryGetInt32(out var n) && n == 4 * Required("n_embd")))
        {
            throw new InvalidDataException($"{path}: n_inner {inner} is not supported; the MLP must be 4·n_embd wide.");
        }

        var options = new Gpt2DecoderOptions
        {
            VocabularySize = Required("vocab_size"),
            Context = Required("n_positions", "n_ctx"),
            Width = Required("n_embd"),
            Layers = Required("n_layer"),
            Heads = Required("n_head"),
        };
        if (root.TryGetProperty("layer_norm_epsilon", out var epsilon) && epsilon.ValueKind == JsonValueKind.Number)
        {
            options.LayerNormEpsilon = epsilon.TryGetSingle(out var e) && float.IsFinite(e) && e > 0
                ? e
                : throw new InvalidDataException($"{path}: layer_norm_epsilon {epsilon} is not a positive float32.");
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        return options;
    }

    /// <summary>The implementation of <see cref="Gpt2Decoder.Load"/>.</summary>
    /// <param name="path">Directory or safetensors file.</param>
    /// <param name="backend">Where to put the weights.</param>
    internal static Gpt2Decoder Read(string path, IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (weights, config) = Directory.Exists(path)
            ? (Path.Combine(path, "model.safetensors"), Path.Combine(path, "config.json"))
            : (path, Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "config.json"));
        if (!File.Exists(config))
        {
            throw new FileNotFoundException($"The GPT-2 configuration '{config}' was not found beside the weights.", config);
        }

        if (!File.Exists(weights))
        {
            throw new FileNotFoundException($"The GPT-2 weights '{weights}' were not found (expected model.safetensors beside config.json).", weights);
        }

        var decoder = new Gpt2Decoder(backend, ReadConfig(config));
        LoadWeights(weights, decoder);
        decoder.Source = Path.GetFullPath(path);
        return decoder;
    }

    /// <summary>The implementation of <see cref="Gpt2Decoder.Save"/>: <c>config.json</c> and an F32 <c>model.safetensors</c>
    /// in <c>GPT2LMHeadModel</c>'s layout (Conv1D weights stored (in, out); the tied LM head not stored, as
    /// <c>save_pretrained</c> does), each written atomically.</summary>
    /// <param name="directory">The folder; created if missing.</param>
    /// <param name="decoder">The decoder.</param>
    internal static void Write(string directory, Gpt2Decoder decoder)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(decoder);
        var tensors = new Dictionary<string, HostArray>(StringComparer.Ordinal);
        foreach (var (name, parameter) in decoder.NamedParameters())
        {
            var values = parameter.Value.ToArray();
            var shape = parameter.Value.Shape.ToArray();
            if (IsConv1D(name))
            {
                // Linear weight (out, in) → Conv1D weight (in, out).
                var stored = new float[values.Length];
                Transpose(values, stored, shape[0], shape[1]);
                (values, shape) = (stored, [shape[1], shape[0]]);
            }

            tensors[name] = new HostArray(shape, values);
        }

        var o = decoder.Options;
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["model_type"] = "gpt2",
            ["activation_function"] = "gelu_new",
            ["vocab_size"] = o.VocabularySize,
            ["n_positions"] = o.Context,
            ["n_ctx"] = o.Context,
            ["n_embd"] = o.Width,
            ["n_layer"] = o.Layers,
            ["n_head"] = o.Heads,
            ["layer_norm_epsilon"] = o.LayerNormEpsilon,
            ["resid_pdrop"] = o.Dropout,
            ["tie_word_embeddings"] = true,
        };
        var json = config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        Directory.CreateDirectory(directory);
        SafeTensorsFile.Write(Path.Combine(directory, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.Write(Path.Combine(directory, "config.json"), stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    /// <summary>Loads Hugging Face GPT-2 weights into an existing decoder of the same shape.</summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="decoder">The decoder.</param>
    /// <exception cref="InvalidDataException">A parameter is missing, has the wrong shape, or an extra tensor is unknown.</exception>
    public static void LoadWeights(string path, Gpt2Decoder decoder)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        using var reader = SafeTensorsReader.Open(path);
        var prefix = reader.Contains("transformer.wte.weight") ? string.Empty : reader.Contains("wte.weight") ? "transformer." : null;
        if (prefix is null)
        {
            throw new InvalidDataException($"{path}: no 'transformer.wte.weight' (or 'wte.weight'): this is not a Hugging Face GPT-2 checkpoint.");
        }

        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, parameter) in decoder.NamedParameters())
        {
            var stored = prefix.Length > 0 && name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
            if (!reader.Contains(stored))
            {
                throw new InvalidDataException($"{path}: the tensor '{stored}' is missing.");
            }

            used.Add(stored);
            var shape = reader.GetShape(stored);
            var expected = parameter.Value.Shape.ToArray();
            var values = new float[parameter.Length];
            if (IsConv1D(name))
            {
                // Conv1D weight (in, out) → Linear weight (out, in).
                if (shape.Length != 2 || shape[0] != expected[1] || shape[1] != expected[0])
                {
                    throw new InvalidDataException(
                        $"{path}: '{stored}' has shape {TensorShape.Format(shape)}; a Conv1D weight of this model must be {TensorShape.Format([expected[1], expected[0]])}.");
                }

                var raw = new float[parameter.Length];
                reader.Read(stored, raw);
                Transpose(raw, values, shape[0], shape[1]);
            }
            else
            {
                if (!shape.AsSpan().SequenceEqual(expected))
                {
                    throw new InvalidDataException($"{path}: '{stored}' has shape {TensorShape.Format(shape)} but the model expects {TensorShape.Format(expected)}.");
                }

                reader.Read(stored, values);
            }

            parameter.Value.CopyFrom(values);
        }

        foreach (var name in reader.Names)
        {
            if (used.Contains(name) || name.EndsWith(".attn.bias", StringComparison.Ordinal) || name.EndsWith(".attn.masked_bias", StringComparison.Ordinal))
            {
                continue;
            }

            if (name == "lm_head.weight")
            {
                var head = new float[reader.GetElementCount(name)];
                reader.Read(name, head);
                if (!head.AsSpan().SequenceEqual(decoder.TokenEmbedding.Value.ToArray()))
                {
                    throw new InvalidDataException($"{path}: 'lm_head.weight' differs from 'transformer.wte.weight'; only tied LM heads (as GPT-2) are supported.");
                }

                continue;
            }

            throw new InvalidDataException($"{path}: the tensor '{name}' is not a GPT-2 parameter this decoder knows.");
        }
    }

    private static bool IsConv1D(string name)
    {
        foreach (var suffix in Conv1DSuffixes)
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static void Transpose(ReadOnlySpan<float> source, Span<float> destination, int rows, int columns)
    {
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                destination[(c * rows) + r] = source[(r * columns) + c];
            }
        }
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON ({e.Message}).", e);
        }
    }
}
