using System;

namespace CrossModal.Tensors;

/// <summary>
/// The seam between models and hardware. Every tensor operation a model performs goes through a backend, so a
/// GPU backend can keep data on the device between calls; host memory is reached only by
/// <see cref="Upload"/> and <see cref="Download"/>. All backends pass the same conformance tests against the CPU backend.
/// </summary>
/// <remarks>
/// Every method takes its destination (the tensor it writes, or updates in place) first, like the kernels in
/// <c>CrossModal.Tensors.Cpu.Kernels</c>. Where two tensor arguments could be swapped without a compile error
/// (<see cref="Copy"/>, <see cref="Add"/>), call with named arguments: <c>backend.Copy(destination: d, source: s)</c>.
/// </remarks>
public interface IComputeBackend : IDisposable
{
    /// <summary>A short name, e.g. <c>"cpu"</c>.</summary>
    string Name { get; }

    /// <summary>Allocates a zero-filled tensor.</summary>
    /// <param name="shape">Dimensions, outermost first.</param>
    Tensor Allocate(params int[] shape);

    /// <summary>Copies host values into <paramref name="destination"/>.</summary>
    /// <param name="destination">A tensor of this backend.</param>
    /// <param name="source">Exactly <c>destination.Length</c> values.</param>
    void Upload(Tensor destination, ReadOnlySpan<float> source);

    /// <summary>Copies <paramref name="source"/> to host memory.</summary>
    /// <param name="destination">Exactly <c>source.Length</c> values.</param>
    /// <param name="source">A tensor of this backend.</param>
    void Download(Span<float> destination, Tensor source);

    /// <summary>
    /// Matrix multiply: effectively computes <c>C = α·op(A)·op(B) + β·C</c> where op(X) is X or Xᵀ.
    /// With rank-2 operands this is one GEMM; with rank-3 operands (<c>[batch, rows, cols]</c>) it is a batched GEMM
    /// over the leading dimension.
    /// </summary>
    /// <param name="c">C: (M, N), with the same batch dimension as the operands; overwritten when β = 0.</param>
    /// <param name="a">A: (M, K), or (K, M) when <paramref name="transposeA"/>; optionally with a leading batch dimension.</param>
    /// <param name="transposeA">Use Aᵀ.</param>
    /// <param name="b">B: (K, N), or (N, K) when <paramref name="transposeB"/>; optionally with a leading batch dimension.</param>
    /// <param name="transposeB">Use Bᵀ.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the existing C (0 ignores C's contents, even NaN).</param>
    void MatMul(Tensor c, Tensor a, bool transposeA, Tensor b, bool transposeB, float alpha = 1f, float beta = 0f);

    /// <summary>Sets every element of <paramref name="tensor"/> to <paramref name="value"/>.</summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="value">The value.</param>
    void Fill(Tensor tensor, float value);

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> (same element count).</summary>
    /// <remarks>Destination first, like every kernel; both are tensors, so call it with named arguments.</remarks>
    /// <param name="destination">Destination tensor.</param>
    /// <param name="source">Source tensor.</param>
    void Copy(Tensor destination, Tensor source);

    /// <summary>Element-wise <c>destination = x + y</c>.</summary>
    /// <remarks>Destination first, like every kernel; all three are tensors, so call it with named arguments.</remarks>
    /// <param name="destination">Result; may be <paramref name="x"/> or <paramref name="y"/>.</param>
    /// <param name="x">First operand.</param>
    /// <param name="y">Second operand (same element count).</param>
    void Add(Tensor destination, Tensor x, Tensor y);

    /// <summary>Element-wise <c>y = α·x + y</c>.</summary>
    /// <param name="y">Accumulator, updated in place.</param>
    /// <param name="alpha">Scale of x.</param>
    /// <param name="x">Input (same element count).</param>
    void Axpy(Tensor y, float alpha, Tensor x);

    /// <summary>Element-wise <c>tensor = α·tensor</c>.</summary>
    /// <param name="tensor">Scaled in place.</param>
    /// <param name="alpha">The factor.</param>
    void Scale(Tensor tensor, float alpha);

    /// <summary>Sum of all elements.</summary>
    /// <param name="tensor">The tensor.</param>
    float Sum(Tensor tensor);

    // ---- Neural-network layers. Forward and backward side by side; shapes use N rows (B·T), C width, OC output
    // width, V classes, NH heads. Backward passes overwrite input gradients and accumulate parameter gradients. ----

    /// <summary>Linear layer forward: <c>output = input·Wᵀ + b</c> (see <see cref="Cpu.Kernels.Linear"/>).</summary>
    /// <param name="output">(N, OC).</param>
    /// <param name="input">(N, C).</param>
    /// <param name="weight">(OC, C).</param>
    /// <param name="bias">(OC), or null.</param>
    void LinearForward(Tensor output, Tensor input, Tensor weight, Tensor? bias);

    /// <summary>Linear layer backward: <c>dInput = dOutput·W</c>; <c>dW += dOutputᵀ·input</c>; <c>db += Σ_n dOutput</c>.</summary>
    /// <param name="dInput">(N, C) overwritten, or null when not needed.</param>
    /// <param name="dWeight">(OC, C) accumulated.</param>
    /// <param name="dBias">(OC) accumulated, or null.</param>
    /// <param name="dOutput">(N, OC).</param>
    /// <param name="input">(N, C) from the forward pass.</param>
    /// <param name="weight">(OC, C).</param>
    void LinearBackward(Tensor? dInput, Tensor dWeight, Tensor? dBias, Tensor dOutput, Tensor input, Tensor weight);

    /// <summary>LayerNorm forward over the last dimension (see <see cref="Cpu.Kernels.LayerNorm"/>).</summary>
    /// <param name="output">(N, C).</param>
    /// <param name="mean">(N) kept for backward.</param>
    /// <param name="rstd">(N) kept for backward.</param>
    /// <param name="input">(N, C).</param>
    /// <param name="weight">(C).</param>
    /// <param name="bias">(C).</param>
    /// <param name="epsilon">ε added to the variance.</param>
    void LayerNormForward(Tensor output, Tensor mean, Tensor rstd, Tensor input, Tensor weight, Tensor bias, float epsilon);

    /// <summary>LayerNorm backward.</summary>
    /// <param name="dInput">(N, C) overwritten.</param>
    /// <param name="dWeight">(C) accumulated.</param>
    /// <param name="dBias">(C) accumulated.</param>
    /// <param name="dOutput">(N, C).</param>
    /// <param name="input">(N, C) from the forward pass.</param>
    /// <param name="weight">(C).</param>
    /// <param name="mean">(N) from the forward pass.</param>
    /// <param name="rstd">(N) from the forward pass.</param>
    void LayerNormBackward(Tensor dInput, Tensor dWeight, Tensor dBias, Tensor dOutput, Tensor input, Tensor weight, Tensor mean, Tensor rstd);

    /// <summary>Embedding lookup: <c>output[n] = table[ids[n]]</c>.</summary>
    /// <param name="output">(N, C).</param>
    /// <param name="ids">(N) host indices in [0, V).</param>
    /// <param name="table">(V, C).</param>
    void EmbeddingForward(Tensor output, ReadOnlySpan<int> ids, Tensor table);

    /// <summary>Embedding backward: <c>dTable[ids[n]] += dOutput[n]</c>.</summary>
    /// <param name="dTable">(V, C) accumulated.</param>
    /// <param name="dOutput">(N, C).</param>
    /// <param name="ids">(N) as given to the forward pass.</param>
    void EmbeddingBackward(Tensor dTable, Tensor dOutput, ReadOnlySpan<int> ids);

    /// <summary>Adds learned position embeddings in place: <c>x[b, t] += positions[t]</c>.</summary>
    /// <param name="x">(B·T, C) updated.</param>
    /// <param name="positions">(maxT, C), maxT ≥ T.</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    void AddPositionEmbedding(Tensor x, Tensor positions, int batch, int time);

    /// <summary>Backward of <see cref="AddPositionEmbedding"/>: <c>dPositions[t] += Σ_b dX[b, t]</c>.</summary>
    /// <param name="dPositions">(maxT, C) accumulated.</param>
    /// <param name="dX">(B·T, C).</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    void AddPositionEmbeddingBackward(Tensor dPositions, Tensor dX, int batch, int time);

    /// <summary>Element-wise activation forward.</summary>
    /// <param name="kind">Which function.</param>
    /// <param name="output">Same element count as <paramref name="input"/>; must not overlap it.</param>
    /// <param name="input">The pre-activation.</param>
    void ActivationForward(Activation kind, Tensor output, Tensor input);

    /// <summary>Element-wise activation backward (overwrites <paramref name="dInput"/>).</summary>
    /// <param name="kind">Which function.</param>
    /// <param name="dInput">Gradient of the pre-activation; must not overlap the other operands.</param>
    /// <param name="dOutput">Gradient of the activation.</param>
    /// <param name="input">The forward pass's input.</param>
    /// <param name="output">The forward pass's output (used by tanh).</param>
    void ActivationBackward(Activation kind, Tensor dInput, Tensor dOutput, Tensor input, Tensor output);

    /// <summary>Softmax over the last dimension.</summary>
    /// <param name="output">(N, C); may be <paramref name="input"/>.</param>
    /// <param name="input">(N, C).</param>
    void SoftmaxForward(Tensor output, Tensor input);

    /// <summary>
    /// One block of a streaming softmax-weighted sum over blocks of columns (see <see cref="Cpu.Kernels.Softmax.OnlineStep"/>):
    /// per row, the running maximum m takes in the block's logits, the weights become <c>exp(logit − m)</c>, and the
    /// accumulator row shrinks by <c>exp(m_old − m)</c>. Follow it with <c>MatMul(accumulator, weights, …, values, …, beta: 1)</c>.
    /// </summary>
    /// <param name="weights">(N, C) written; may be <paramref name="logits"/>.</param>
    /// <param name="runningMax">(N) updated; fill with −∞ before the first block.</param>
    /// <param name="accumulator">(N, D) rescaled in place; fill with 0 before the first block.</param>
    /// <param name="logits">(N, C) the block's logits.</param>
    void OnlineSoftmaxStep(Tensor weights, Tensor runningMax, Tensor accumulator, Tensor logits);

    /// <summary>Softmax backward from its output.</summary>
    /// <param name="dInput">(N, C) overwritten; may be <paramref name="dOutput"/>.</param>
    /// <param name="dOutput">(N, C).</param>
    /// <param name="output">(N, C) from the forward pass.</param>
    void SoftmaxBackward(Tensor dInput, Tensor dOutput, Tensor output);

    /// <summary>Multi-head scaled dot-product attention over packed Q|K|V (see <see cref="Cpu.Kernels.Attention"/>).</summary>
    /// <param name="output">(B·T, C).</param>
    /// <param name="attention">(B, NH, T, T) probabilities kept for backward.</param>
    /// <param name="qkv">(B·T, 3C).</param>
    /// <param name="keyMask">(B·T) host bytes, 1 = attend, 0 = padding; empty for none.</param>
    /// <param name="causal">Hide later keys.</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    /// <param name="heads">NH.</param>
    void AttentionForward(Tensor output, Tensor attention, Tensor qkv, ReadOnlySpan<byte> keyMask, bool causal, int batch, int time, int heads);

    /// <summary>Attention backward.</summary>
    /// <param name="dQkv">(B·T, 3C) overwritten.</param>
    /// <param name="dOutput">(B·T, C).</param>
    /// <param name="qkv">(B·T, 3C) from the forward pass.</param>
    /// <param name="attention">(B, NH, T, T) from the forward pass.</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    /// <param name="heads">NH.</param>
    void AttentionBackward(Tensor dQkv, Tensor dOutput, Tensor qkv, Tensor attention, int batch, int time, int heads);

    /// <summary>
    /// One cached decoding step of causal attention (see <see cref="Cpu.Kernels.CachedAttention"/>): stores this step's
    /// keys and values at <paramref name="position"/>, then attends over positions 0..position.
    /// </summary>
    /// <param name="output">(B, C).</param>
    /// <param name="keyCache">(B, maxT, C) updated at <paramref name="position"/>.</param>
    /// <param name="valueCache">(B, maxT, C) updated at <paramref name="position"/>.</param>
    /// <param name="qkv">(B, 3C) this step's packed projections.</param>
    /// <param name="position">The step's index in [0, maxT).</param>
    /// <param name="heads">NH.</param>
    void CachedAttentionForward(Tensor output, Tensor keyCache, Tensor valueCache, Tensor qkv, int position, int heads);

    /// <summary>Inverted dropout in training mode with a seeded mask.</summary>
    /// <param name="output">Same count as <paramref name="input"/>; may be it.</param>
    /// <param name="mask">Written: multipliers 0 or 1/(1 − p).</param>
    /// <param name="input">The input.</param>
    /// <param name="probability">p in [0, 1).</param>
    /// <param name="seed">This call's seed.</param>
    void DropoutForward(Tensor output, Tensor mask, Tensor input, float probability, ulong seed);

    /// <summary>Dropout backward: <c>dInput = dOutput ⊙ mask</c>.</summary>
    /// <param name="dInput">Overwritten; may be <paramref name="dOutput"/>.</param>
    /// <param name="dOutput">Upstream gradient.</param>
    /// <param name="mask">From the forward pass.</param>
    void DropoutBackward(Tensor dInput, Tensor dOutput, Tensor mask);

    /// <summary>Fused softmax cross-entropy with ignore index and label smoothing; returns the mean loss.</summary>
    /// <param name="losses">(N) per-row losses.</param>
    /// <param name="logSumExp">(N) kept for backward.</param>
    /// <param name="logits">(N, V).</param>
    /// <param name="targets">(N) host class indices.</param>
    /// <param name="ignoreIndex">Targets to skip.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    float CrossEntropyForward(Tensor losses, Tensor logSumExp, Tensor logits, ReadOnlySpan<int> targets, int ignoreIndex, float labelSmoothing);

    /// <summary>Cross-entropy backward of the mean loss.</summary>
    /// <param name="dLogits">(N, V) overwritten; may be <paramref name="logits"/>.</param>
    /// <param name="logits">(N, V) from the forward pass.</param>
    /// <param name="logSumExp">(N) from the forward pass.</param>
    /// <param name="targets">(N) as given to the forward pass.</param>
    /// <param name="ignoreIndex">As given to the forward pass.</param>
    /// <param name="labelSmoothing">As given to the forward pass.</param>
    /// <param name="dLoss">Gradient of the mean loss.</param>
    void CrossEntropyBackward(Tensor dLogits, Tensor logits, Tensor logSumExp, ReadOnlySpan<int> targets, int ignoreIndex, float labelSmoothing, float dLoss);

    /// <summary>Row-wise L2 normalisation <c>x / max(‖x‖, ε)</c>.</summary>
    /// <param name="output">(N, D); may be <paramref name="input"/>.</param>
    /// <param name="norms">(N) kept for backward.</param>
    /// <param name="input">(N, D).</param>
    /// <param name="epsilon">ε.</param>
    void L2NormalizeForward(Tensor output, Tensor norms, Tensor input, float epsilon);

    /// <summary>L2 normalisation backward.</summary>
    /// <param name="dInput">(N, D) overwritten; may be <paramref name="dOutput"/>.</param>
    /// <param name="dOutput">(N, D).</param>
    /// <param name="output">(N, D) from the forward pass.</param>
    /// <param name="norms">(N) from the forward pass.</param>
    /// <param name="epsilon">As given to the forward pass.</param>
    void L2NormalizeBackward(Tensor dInput, Tensor dOutput, Tensor output, Tensor norms, float epsilon);

    /// <summary>Symmetric InfoNCE (CLIP) loss with logit scale min(exp(τ), 100); returns the loss.</summary>
    /// <param name="logits">(N, N) kept for backward.</param>
    /// <param name="rowLogSumExp">(N) kept for backward.</param>
    /// <param name="columnLogSumExp">(N) kept for backward.</param>
    /// <param name="image">(N, D).</param>
    /// <param name="text">(N, D).</param>
    /// <param name="logTemperature">(1) τ.</param>
    float ContrastiveLossForward(Tensor logits, Tensor rowLogSumExp, Tensor columnLogSumExp, Tensor image, Tensor text, Tensor logTemperature);

    /// <summary>Contrastive loss backward.</summary>
    /// <param name="dImage">(N, D) overwritten.</param>
    /// <param name="dText">(N, D) overwritten.</param>
    /// <param name="dLogTemperature">(1) accumulated.</param>
    /// <param name="dLogits">(N, N) scratch.</param>
    /// <param name="logits">(N, N) from the forward pass.</param>
    /// <param name="rowLogSumExp">(N) from the forward pass.</param>
    /// <param name="columnLogSumExp">(N) from the forward pass.</param>
    /// <param name="image">(N, D).</param>
    /// <param name="text">(N, D).</param>
    /// <param name="logTemperature">(1) τ.</param>
    /// <param name="dLoss">Gradient of the loss.</param>
    void ContrastiveLossBackward(
        Tensor dImage, Tensor dText, Tensor dLogTemperature, Tensor dLogits, Tensor logits, Tensor rowLogSumExp,
        Tensor columnLogSumExp, Tensor image, Tensor text, Tensor logTemperature, float dLoss);

    // ---- Convolution and pooling over NCHW images (B images, C channels, H×W pixels, k the kernel side, s the
    // stride, p the zero padding; OH = ⌊(H + 2p − k) / s⌋ + 1 and likewise OW). ----

    /// <summary>2-D convolution forward, as <c>torch.nn.Conv2d</c> with a square kernel, one group, no dilation
    /// (see <see cref="Cpu.Kernels.Conv2d"/>).</summary>
    /// <param name="output">(B, OC, OH, OW) written.</param>
    /// <param name="input">(B, C, H, W).</param>
    /// <param name="weight">(OC, C, k, k).</param>
    /// <param name="bias">(OC), or null.</param>
    /// <param name="stride">s ≥ 1, both axes.</param>
    /// <param name="padding">p ≥ 0 zeros on every side.</param>
    void Conv2dForward(Tensor output, Tensor input, Tensor weight, Tensor? bias, int stride, int padding);

    /// <summary>2-D convolution backward: <c>dInput</c> overwritten; <c>dWeight</c> and <c>dBias</c> accumulated.</summary>
    /// <param name="dInput">(B, C, H, W) overwritten, or null when not needed (e.g. the pixels).</param>
    /// <param name="dWeight">(OC, C, k, k) accumulated.</param>
    /// <param name="dBias">(OC) accumulated, or null.</param>
    /// <param name="dOutput">(B, OC, OH, OW).</param>
    /// <param name="input">(B, C, H, W) from the forward pass.</param>
    /// <param name="weight">(OC, C, k, k).</param>
    /// <param name="stride">As given to the forward pass.</param>
    /// <param name="padding">As given to the forward pass.</param>
    void Conv2dBackward(Tensor? dInput, Tensor dWeight, Tensor? dBias, Tensor dOutput, Tensor input, Tensor weight, int stride, int padding);

    /// <summary>2-D max pooling forward, as <c>torch.nn.MaxPool2d(kernel, stride)</c> (no padding, floor mode;
    /// see <see cref="Cpu.Kernels.MaxPool2d"/>).</summary>
    /// <param name="output">(B, C, OH, OW) written, OH = ⌊(H − k) / s⌋ + 1.</param>
    /// <param name="input">(B, C, H, W).</param>
    /// <param name="kernel">k, the window side.</param>
    /// <param name="stride">s.</param>
    void MaxPool2dForward(Tensor output, Tensor input, int kernel, int stride);

    /// <summary>2-D max pooling backward: each window's gradient goes to the first (row-major) input equal to its
    /// maximum, PyTorch's choice; <c>dInput</c> is overwritten.</summary>
    /// <param name="dInput">(B, C, H, W) overwritten.</param>
    /// <param name="dOutput">(B, C, OH, OW).</param>
    /// <param name="input">(B, C, H, W) from the forward pass.</param>
    /// <param name="output">(B, C, OH, OW) from the forward pass.</param>
    /// <param name="kernel">As given to the forward pass.</param>
    /// <param name="stride">As given to the forward pass.</param>
    void MaxPool2dBackward(Tensor dInput, Tensor dOutput, Tensor input, Tensor output, int kernel, int stride);

    // ---- Optimisers. ----

    /// <summary>One AdamW update of one parameter (see <see cref="Cpu.Kernels.Optimizers.AdamW"/>).</summary>
    /// <param name="parameter">Updated in place.</param>
    /// <param name="gradient">Its gradient.</param>
    /// <param name="firstMoment">m, updated.</param>
    /// <param name="secondMoment">v, updated.</param>
    /// <param name="learningRate">lr.</param>
    /// <param name="beta1">β₁.</param>
    /// <param name="beta2">β₂.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">Decoupled λ.</param>
    /// <param name="step">t from 1.</param>
    void AdamWStep(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step);

    /// <summary>One SGD-with-momentum update (see <see cref="Cpu.Kernels.Optimizers.SgdMomentum"/>).</summary>
    /// <param name="parameter">Updated in place.</param>
    /// <param name="gradient">Its gradient.</param>
    /// <param name="velocity">Momentum buffer.</param>
    /// <param name="learningRate">lr.</param>
    /// <param name="momentum">μ.</param>
    /// <param name="weightDecay">Coupled λ.</param>
    /// <param name="firstStep">Whether the buffer starts now.</param>
    void SgdStep(Tensor parameter, Tensor gradient, Tensor velocity, float learningRate, float momentum, float weightDecay, bool firstStep);

    /// <summary>Σ x² in double precision (for global gradient norms).</summary>
    /// <param name="tensor">The tensor.</param>
    double SumOfSquares(Tensor tensor);

    /// <summary>Waits until all queued work has finished (a no-op on synchronous backends).</summary>
    void Synchronize();
}
