using System;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;

namespace CrossModal.Models.Clip;

/// <summary>Shape of CLIP's text transformer (Hugging Face <c>CLIPTextConfig</c>; defaults are ViT-B/32's).</summary>
public sealed class ClipTextConfig
{
    /// <summary>Vocabulary size V.</summary>
    /// <value>49408, CLIP's BPE vocabulary.</value>
    public int VocabularySize { get; set; } = 49408;

    /// <summary>Width C (<c>hidden_size</c>).</summary>
    /// <value>512.</value>
    public int Width { get; set; } = 512;

    /// <summary>MLP hidden width (<c>intermediate_size</c>).</summary>
    /// <value>2048.</value>
    public int MlpHidden { get; set; } = 2048;

    /// <summary>Attention heads NH.</summary>
    /// <value>8.</value>
    public int Heads { get; set; } = 8;

    /// <summary>Transformer blocks L.</summary>
    /// <value>12.</value>
    public int Layers { get; set; } = 12;

    /// <summary>Context length (<c>max_position_embeddings</c>).</summary>
    /// <value>77.</value>
    public int Context { get; set; } = 77;

    /// <summary>MLP activation (<c>hidden_act</c>).</summary>
    /// <value><see cref="Activation.QuickGelu"/>, as OpenAI's checkpoints.</value>
    public Activation Activation { get; set; } = Activation.QuickGelu;

    /// <summary>LayerNorm ε.</summary>
    /// <value>1e-5.</value>
    public float LayerNormEpsilon { get; set; } = 1e-5f;

    internal void Validate()
    {
        Positive(VocabularySize, "text_config.vocab_size");
        Positive(Width, "text_config.hidden_size");
        Positive(MlpHidden, "text_config.intermediate_size");
        Positive(Heads, "text_config.num_attention_heads");
        Positive(Layers, "text_config.num_hidden_layers");
        Positive(Context, "text_config.max_position_embeddings");
        if (Width % Heads != 0)
        {
            throw new ArgumentException($"text_config.hidden_size {Width} is not divisible by num_attention_heads {Heads}.");
        }
    }

    internal static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"CLIP config: {name} must be positive but is {value}.");
        }
    }
}

/// <summary>Shape of CLIP's vision transformer (Hugging Face <c>CLIPVisionConfig</c>; defaults are ViT-B/32's).</summary>
public sealed class ClipVisionConfig
{
    /// <summary>Width C (<c>hidden_size</c>).</summary>
    /// <value>768.</value>
    public int Width { get; set; } = 768;

    /// <summary>MLP hidden width (<c>intermediate_size</c>).</summary>
    /// <value>3072.</value>
    public int MlpHidden { get; set; } = 3072;

    /// <summary>Attention heads NH.</summary>
    /// <value>12.</value>
    public int Heads { get; set; } = 12;

    /// <summary>Transformer blocks L.</summary>
    /// <value>12.</value>
    public int Layers { get; set; } = 12;

    /// <summary>Input side S in pixels (<c>image_size</c>).</summary>
    /// <value>224.</value>
    public int ImageSize { get; set; } = 224;

    /// <summary>Patch side p (<c>patch_size</c>); must divide <see cref="ImageSize"/>.</summary>
    /// <value>32.</value>
    public int PatchSize { get; set; } = 32;

    /// <summary>MLP activation (<c>hidden_act</c>).</summary>
    /// <value><see cref="Activation.QuickGelu"/>.</value>
    public Activation Activation { get; set; } = Activation.QuickGelu;

    /// <summary>LayerNorm ε.</summary>
    /// <value>1e-5.</value>
    public float LayerNormEpsilon { get; set; } = 1e-5f;

    /// <summary>Which network the tower is (<c>tower</c>: <c>"vit"</c> or <c>"conv"</c>).</summary>
    /// <value><see cref="ClipVisionTower.Transformer"/>, as every Hugging Face CLIP.</value>
    public ClipVisionTower Tower { get; set; } = ClipVisionTower.Transformer;

    /// <summary>
    /// The layers of a <see cref="ClipVisionTower.Convolutional"/> tower (<c>conv_layers</c>), in the notation of VGG's
    /// configurations (Simonyan and Zisserman, 2015; torchvision's <c>cfgs</c>): a number is a 3×3 convolution with that
    /// many output channels followed by GELU, <c>M</c> a 2×2 max pooling; separated by spaces. Must start with a
    /// convolution. Ignored by the ViT, whose width, heads, layers and patch size the convolutional tower ignores.
    /// </summary>
    /// <value><c>"16 16 M 32 32 M 32 M"</c>: three stages to a 4×4 map at S = 32.</value>
    public string ConvLayers { get; set; } = "16 16 M 32 32 M 32 M";

    /// <summary>
    /// Whether a <see cref="ClipVisionTower.Convolutional"/> tower adds a position-free branch to its flattened one
    /// (<c>conv_global_max_pool</c>): the last feature map max-pooled over every position, normalised by
    /// <c>pool_layernorm</c> and projected by <c>pool_projection</c>, summed with the flattened branch's projection. The
    /// flattened branch must learn what an object is separately for every position of the map; the pooled branch
    /// shares it across positions, so what (shape) is learned from every example while where (relations) still comes
    /// from the flattened map.
    /// </summary>
    /// <value>false.</value>
    public bool ConvGlobalMaxPool { get; set; }

    /// <summary>Patches per side, S / p.</summary>
    public int Grid => ImageSize / PatchSize;

    /// <summary>Patches per image P = (S / p)².</summary>
    public int Patches => Grid * Grid;

    internal void Validate()
    {
        ClipTextConfig.Positive(ImageSize, "vision_config.image_size");
        if (Tower == ClipVisionTower.Convolutional)
        {
            var side = ImageSize;
            foreach (var item in ConvolutionPlan())
            {
                side = item == PoolMarker ? side / 2 : side;
            }

            if (side < 1)
            {
                throw new ArgumentException($"vision_config.conv_layers '{ConvLayers}' pools an image of {ImageSize} pixels below one pixel.");
            }

            return;
        }

        ClipTextConfig.Positive(Width, "vision_config.hidden_size");
        ClipTextConfig.Positive(MlpHidden, "vision_config.intermediate_size");
        ClipTextConfig.Positive(Heads, "vision_config.num_attention_heads");
        ClipTextConfig.Positive(Layers, "vision_config.num_hidden_layers");
        ClipTextConfig.Positive(ImageSize, "vision_config.image_size");
        ClipTextConfig.Positive(PatchSize, "vision_config.patch_size");
        if (Width % Heads != 0)
        {
            throw new ArgumentException($"vision_config.hidden_size {Width} is not divisible by num_attention_heads {Heads}.");
        }

        if (ImageSize % PatchSize != 0)
        {
            throw new ArgumentException($"vision_config.image_size {ImageSize} is not a multiple of patch_size {PatchSize}.");
        }
    }
    /// <summary>Marks a 2×2 max pooling in <see cref="ConvolutionPlan"/>.</summary>
    internal const int PoolMarker = -1;

    /// <summary>Parses <see cref="ConvLayers"/>: output channels of each convolution, <see cref="PoolMarker"/> for each pooling.</summary>
    /// <exception cref="ArgumentException">An item is neither a positive integer nor <c>M</c>, the list is empty, or it starts with a pooling.</exception>
    internal int[] ConvolutionPlan()
    {
        var items = (ConvLayers ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var plan = new int[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            if (items[i] is "M" or "m")
            {
                plan[i] = PoolMarker;
            }
            else if (int.TryParse(items[i], NumberStyles.None, CultureInfo.InvariantCulture, out var channels) && channels > 0)
            {
                plan[i] = channels;
            }
            else
            {
                throw new ArgumentException($"vision_config.conv_layers '{ConvLayers}': item '{items[i]}' is neither a positive channel count nor M.");
            }
        }

        if (plan.Length == 0 || plan[0] == PoolMarker)
        {
            throw new ArgumentException($"vision_config.conv_layers '{ConvLayers}' must start with a convolution (a channel count).");
        }

        return plan;
    }
}

/// <summary>
/// Shape of a CLIP model, read from and written as a Hugging Face <c>CLIPModel</c> <c>config.json</c>. The defaults
/// are openai/clip-vit-base-patch32's.
/// </summary>
public sealed class ClipConfig
{
    /// <summary>The text transformer.</summary>
    public ClipTextConfig Text { get; set; } = new();

    /// <summary>The vision transformer.</summary>
    public ClipVisionConfig Vision { get; set; } = new();

    /// <summary>Width D of the joint embedding space (<c>projection_dim</c>).</summary>
    /// <value>512.</value>
    public int ProjectionDim { get; set; } = 512;

    /// <summary>Initial log logit scale of a new model (<c>logit_scale_init_value</c>).</summary>
    /// <value>ln(1/0.07) ≈ 2.6592, CLIP's initial temperature 0.07 (Radford et al., 2021, §2.5).</value>
    public float LogitScaleInit { get; set; } = 2.6592f;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Text, nameof(Text));
        ArgumentNullException.ThrowIfNull(Vision, nameof(Vision));
        Text.Validate();
        Vision.Validate();
        ClipTextConfig.Positive(ProjectionDim, "projection_dim");
    }

    /// <summary>
    /// Reads a Hugging Face <c>config.json</c>: <c>projection_dim</c>, <c>text_config</c> and <c>vision_config</c>
    /// (overlaid by the legacy <c>text_config_dict</c> / <c>vision_config_dict</c> when present, as
    /// <c>CLIPConfig.__init__</c> does); absent fields take Hugging Face's defaults.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">The file is not valid JSON, a field has the wrong type, a value is out of
    /// range or <c>hidden_act</c> is unsupported; the message names the file.</exception>
    public static ClipConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }

        if (root is not JsonObject obj)
        {
            throw new InvalidDataException($"{path}: expected a JSON object.");
        }

        try
        {
            var config = new ClipConfig();
            config.ProjectionDim = Int(obj, "projection_dim", config.ProjectionDim);
            config.LogitScaleInit = (float)Double(obj, "logit_scale_init_value", config.LogitScaleInit);
            var text = Merge(obj["text_config"], obj["text_config_dict"]);
            var t = config.Text;
            t.VocabularySize = Int(text, "vocab_size", t.VocabularySize);
            t.Width = Int(text, "hidden_size", t.Width);
            t.MlpHidden = Int(text, "intermediate_size", t.MlpHidden);
            t.Heads = Int(text, "num_attention_heads", t.Heads);
            t.Layers = Int(text, "num_hidden_layers", t.Layers);
            t.Context = Int(text, "max_position_embeddings", t.Context);
            t.Activation = ParseActivation(text, "text_config", t.Activation);
            t.LayerNormEpsilon = (float)Double(text, "layer_norm_eps", t.LayerNormEpsilon);
            var vision = Merge(obj["vision_config"], obj["vision_config_dict"]);
            var v = config.Vision;
            v.Width = Int(vision, "hidden_size", v.Width);
            v.MlpHidden = Int(vision, "intermediate_size", v.MlpHidden);
            v.Heads = Int(vision, "num_attention_heads", v.Heads);
            v.Layers = Int(vision, "num_hidden_layers", v.Layers);
            v.ImageSize = Int(vision, "image_size", v.ImageSize);
            v.PatchSize = Int(vision, "patch_size", v.PatchSize);
            v.Activation = ParseActivation(vision, "vision_config", v.Activation);
            v.LayerNormEpsilon = (float)Double(vision, "layer_norm_eps", v.LayerNormEpsilon);
            v.Tower = ParseTower(vision, v.Tower);
            v.ConvLayers = String(vision, "conv_layers", v.ConvLayers);
            v.ConvGlobalMaxPool = Bool(vision, "conv_global_max_pool", v.ConvGlobalMaxPool);
            var channels = Int(vision, "num_channels", 3);
            if (channels != 3)
            {
                throw new ArgumentException($"{path}: vision_config.num_channels is {channels}; only RGB (3) is supported.");
            }

            config.Validate();
            return config;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            // A value out of range in a file is bad file contents, not a bad argument of the caller.
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Writes this configuration as a Hugging Face <c>CLIPModel</c> <c>config.json</c> (atomically).</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Validate();
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray("CLIPModel"),
            ["model_type"] = "clip",
            ["projection_dim"] = ProjectionDim,
            ["logit_scale_init_value"] = LogitScaleInit,
            ["text_config"] = new JsonObject
            {
                ["model_type"] = "clip_text_model",
                ["vocab_size"] = Text.VocabularySize,
                ["hidden_size"] = Text.Width,
                ["intermediate_size"] = Text.MlpHidden,
                ["num_attention_heads"] = Text.Heads,
                ["num_hidden_layers"] = Text.Layers,
                ["max_position_embeddings"] = Text.Context,
                ["hidden_act"] = ActivationName(Text.Activation),
                ["layer_norm_eps"] = Text.LayerNormEpsilon,
                ["projection_dim"] = ProjectionDim,
                ["bos_token_id"] = 49406,
                ["eos_token_id"] = 49407,
            },
            ["vision_config"] = new JsonObject
            {
                ["model_type"] = "clip_vision_model",
                ["hidden_size"] = Vision.Width,
                ["intermediate_size"] = Vision.MlpHidden,
                ["num_attention_heads"] = Vision.Heads,
                ["num_hidden_layers"] = Vision.Layers,
                ["image_size"] = Vision.ImageSize,
                ["patch_size"] = Vision.PatchSize,
                ["num_channels"] = 3,
                ["hidden_act"] = ActivationName(Vision.Activation),
                ["layer_norm_eps"] = Vision.LayerNormEpsilon,
                ["projection_dim"] = ProjectionDim,
            },
        };
        if (Vision.Tower == ClipVisionTower.Convolutional)
        {
            // Only the convolutional tower writes these keys, so a ViT's config.json stays exactly Hugging Face's.
            var vision = root["vision_config"]!.AsObject();
            vision["tower"] = "conv";
            vision["conv_layers"] = Vision.ConvLayers;
            if (Vision.ConvGlobalMaxPool)
            {
                vision["conv_global_max_pool"] = true;
            }
        }

        var json = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    private static JsonObject Merge(JsonNode? config, JsonNode? legacy)
    {
        var result = new JsonObject();
        foreach (var source in new[] { config, legacy })
        {
            if (source is null)
            {
                continue;
            }

            if (source is not JsonObject o)
            {
                throw new InvalidOperationException("text_config / vision_config must be JSON objects.");
            }

            foreach (var pair in o)
            {
                result[pair.Key] = pair.Value?.DeepClone();
            }
        }

        return result;
    }

    private static int Int(JsonObject obj, string key, int fallback)
    {
        var node = obj[key];
        if (node is null)
        {
            return fallback;
        }

        if (node is JsonValue value && value.TryGetValue<int>(out var i))
        {
            return i;
        }

        throw new InvalidOperationException($"'{key}' must be an integer but is {node.ToJsonString()}.");
    }

    private static double Double(JsonObject obj, string key, double fallback)
    {
        var node = obj[key];
        if (node is null)
        {
            return fallback;
        }

        if (node is JsonValue value && value.TryGetValue<double>(out var d))
        {
            return d;
        }

        throw new InvalidOperationException($"'{key}' must be a number but is {node.ToJsonString()}.");
    }

    private static bool Bool(JsonObject obj, string key, bool fallback)
    {
        var node = obj[key];
        if (node is null)
        {
            return fallback;
        }

        if (node is JsonValue value && value.TryGetValue<bool>(out var b))
        {
            return b;
        }

        throw new InvalidOperationException($"'{key}' must be true or false but is {node.ToJsonString()}.");
    }

    private static string String(JsonObject obj, string key, string fallback)
    {
        var node = obj[key];
        if (node is null)
        {
            return fallback;
        }

        if (node is JsonValue value && value.TryGetValue<string>(out var text))
        {
            return text;
        }

        throw new InvalidOperationException($"'{key}' must be a string but is {node.ToJsonString()}.");
    }

    private static ClipVisionTower ParseTower(JsonObject obj, ClipVisionTower fallback) => String(obj, "tower", string.Empty) switch
    {
        "" => fallback,
        "vit" => ClipVisionTower.Transformer,
        "conv" => ClipVisionTower.Convolutional,
        var other => throw new ArgumentException($"vision_config.tower '{other}' is not supported; expected vit or conv."),
    };

    private static Activation ParseActivation(JsonObject obj, string section, Activation fallback)
    {
        var node = obj["hidden_act"];
        if (node is null)
        {
            return fallback;
        }

        var name = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node.ToJsonString();
        return name switch
        {
            "quick_gelu" => Activation.QuickGelu,

            // The tanh approximation is what the nn layer implements; Hugging Face's "gelu" is the exact erf form,
            // which differs from it by at most ≈ 5e-4 per activation (documented in docs/clip.md).
            "gelu" or "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => Activation.Gelu,
            _ => throw new ArgumentException(
                $"{section}.hidden_act '{name}' is not supported; expected quick_gelu, gelu, gelu_new or gelu_pytorch_tanh."),
        };
    }

    private static string ActivationName(Activation activation) => activation switch
    {
        Activation.QuickGelu => "quick_gelu",
        Activation.Gelu => "gelu_pytorch_tanh",
        _ => throw new ArgumentException($"CLIP supports QuickGelu and Gelu activations, not {activation}."),
    };

    /// <summary>A short description, e.g. for logs: <c>ViT 12×768 p32 @224, text 12×512, D 512</c> or <c>conv [16 16 M 32 M] @32, …</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{(Vision.Tower == ClipVisionTower.Convolutional ? $"conv [{Vision.ConvLayers}]{(Vision.ConvGlobalMaxPool ? " + max" : string.Empty)}" : $"ViT {Vision.Layers}×{Vision.Width} p{Vision.PatchSize}")} @{Vision.ImageSize}, text {Text.Layers}×{Text.Width} ctx {Text.Context}, D {ProjectionDim}");
}
