namespace CrossModal.Tensors;

/// <summary>Element-wise activation functions of the nn layer.</summary>
public enum Activation
{
    /// <summary>GELU, tanh approximation (GPT-2).</summary>
    Gelu,

    /// <summary>QuickGELU, x·σ(1.702x) (OpenAI CLIP).</summary>
    QuickGelu,

    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
}
