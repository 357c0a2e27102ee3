namespace CrossModal.Bridging;

/// <summary>The published recipes, named after the paper (and variant) that uses them.</summary>
public enum BridgePreset
{
    /// <summary>C3's "C1": no bridging, plain (L2-normalised) CLIP embeddings.</summary>
    C1,

    /// <summary>C3's collapse alone.</summary>
    C2Collapse,

    /// <summary>C3's corrupt alone: Gaussian noise, σ = √0.016, renormalised.</summary>
    C2Noise,

    /// <summary>C3: collapse, then Gaussian noise (σ = √0.016).</summary>
    C3,

    /// <summary>CapDec: Gaussian noise with variance 0.016 added to the normalised text embedding, not renormalised.</summary>
    CapDec,

    /// <summary>CLOSE with isotropic noise w = 0.08 (its best setting), renormalised.</summary>
    CloseNoise,

    /// <summary>CLOSE's linear adapter (ridge, λ = 0.1) followed by its noise w = 0.08.</summary>
    CloseLinear,

    /// <summary>CLOSE's structured noise with the code's hard-coded scale s = 3 (μ_Δ added, w = 0).</summary>
    CloseCovariance,

    /// <summary>DeCap: project images onto the text support set with τ = 0.01.</summary>
    DeCap,

    /// <summary>SynTIC: align pseudo-image features to their texts, project onto the support set.</summary>
    SynTic,
}
