using System;
using System.Buffers;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// Multi-head scaled dot-product attention (Vaswani et al., 2017, §3.2): for each batch b, head h and query t,
/// effectively computes <c>out[b, t, h] = Σ_s softmax_s(q_t·k_s/√hs + mask[t, s])·v_s</c>. Q, K and V come packed as
/// the output of one <c>c_attn</c> projection, <c>qkv[b, t, :] = [q | k | v]</c>, each split into NH heads of hs = C/NH
/// (GPT-2, CLIP). A causal mask hides keys s &gt; t; a key padding mask (1 = attend, 0 = padding, as Hugging Face's
/// <c>attention_mask</c>) hides padded keys; a query that sees no key at all gets zero output. The loops follow llm.c's
/// <c>attention_forward</c>/<c>attention_backward</c>, fused per row: at these head sizes a batched GEMM does not pay.
/// </summary>
public static class Attention
{
    private const int StackLimit = 1024;

    [ThreadStatic]
    private static ForwardJob? t_forward;

    [ThreadStatic]
    private static BackwardJob? t_backward;

    /// <summary>Forward pass; keeps the attention probabilities for the backward pass.</summary>
    /// <param name="output">(B, T, C) written.</param>
    /// <param name="attention">(B, NH, T, T) written: the probabilities, zero where masked.</param>
    /// <param name="qkv">(B, T, 3C).</param>
    /// <param name="keyMask">(B, T) 1 for keys to attend to, 0 for padding; empty for none.</param>
    /// <param name="causal">Hide keys after the query (decoders); false for bidirectional attention (encoders).</param>
    /// <param name="b">Batch B.</param>
    /// <param name="t">Sequence length T.</param>
    /// <param name="c">Width C.</param>
    /// <param name="heads">Head count NH, dividing C.</param>
    public static void Forward(
        Span<float> output, Span<float> attention, ReadOnlySpan<float> qkv, ReadOnlySpan<byte> keyMask, bool causal,
        int b, int t, int c, int heads)
    {
        var hs = CheckShapes(output, attention, qkv, keyMask, b, t, c, heads);
        var parts = WorkerPool.Kernels.PartsFor(2L * b * heads * t * t * hs, b * heads);
        if (parts == 1)
        {
            ForwardRange(output, attention, qkv, keyMask, causal, b, t, c, heads, 0, b * heads);
            return;
        }

        unsafe
        {
            fixed (float* o = output, a = attention)
            fixed (float* q = qkv)
            fixed (byte* m = keyMask)
            {
                var job = t_forward ??= new ForwardJob();
                job.Output = o;
                job.Attention = a;
                job.Qkv = q;
                job.Mask = m;
                job.MaskLength = keyMask.Length;
                (job.Causal, job.B, job.T, job.C, job.Heads) = (causal, b, t, c, heads);
                WorkerPool.Kernels.Run(job, parts);
            }
        }
    }

    private static void ForwardRange(
        Span<float> output, Span<float> attention, ReadOnlySpan<float> qkv, ReadOnlySpan<byte> keyMask, bool causal,
        int b, int t, int c, int heads, int start, int end)
    {
        var hs = c / heads;
        var scale = 1f / MathF.Sqrt(hs);
        var c3 = 3 * c;
        for (var bh = start; bh < end; bh++)
        {
            var (bi, h) = Math.DivRem(bh, heads);
            var mask = keyMask.IsEmpty ? keyMask : keyMask.Slice(bi * t, t);
            var seq = qkv.Slice(bi * t * c3, t * c3);
            {
                for (var ti = 0; ti < t; ti++)
                {
                    var q = seq.Slice(ti * c3 + h * hs, hs);
                    var row = attention.Slice(((bi * heads + h) * t + ti) * t, t);
                    var o = output.Slice((bi * t + ti) * c + h * hs, hs);
                    var limit = causal ? ti + 1 : t;
                    var max = float.NegativeInfinity;
                    for (var s = 0; s < limit; s++)
                    {
                        if (!mask.IsEmpty && mask[s] == 0)
                        {
                            row[s] = float.NegativeInfinity;
                            continue;
                        }

                        var score = TensorPrimitives.Dot(q, seq.Slice(s * c3 + c + h * hs, hs)) * scale;
                        row[s] = score;
                        max = MathF.Max(max, score);
                    }

                    row[limit..].Clear();
                    o.Clear();
                    if (float.IsNegativeInfinity(max))
                    {
                        row[..limit].Clear();
                        continue;
                    }

                    var used = row[..limit];
                    TensorPrimitives.Subtract(used, max, used);
                    TensorPrimitives.Exp(used, used);
                    var inv = 1f / TensorPrimitives.Sum(used);
                    TensorPrimitives.Multiply(used, inv, used);
                    for (var s = 0; s < limit; s++)
                    {
                        var p = used[s];
                        if (p != 0f)
                        {
                            TensorPrimitives.MultiplyAdd(seq.Slice(s * c3 + 2 * c + h * hs, hs), p, o, o);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Backward pass. With P the probabilities and dP = dout·Vᵀ: <c>dS = P ⊙ (dP − rowsum(P ⊙ dP))</c>,
    /// <c>dQ = dS·K/√hs</c>, <c>dK = dSᵀ·Q/√hs</c>, <c>dV = Pᵀ·dout</c>, written into <paramref name="dqkv"/> (overwritten).
    /// </summary>
    /// <param name="dqkv">(B, T, 3C) overwritten.</param>
    /// <param name="doutput">(B, T, C).</param>
    /// <param name="qkv">(B, T, 3C) as given to the forward pass.</param>
    /// <param name="attention">(B, NH, T, T) from the forward pass.</param>
    /// <param name="b">Batch B.</param>
    /// <param name="t">Sequence length T.</param>
    /// <param name="c">Width C.</param>
    /// <param name="heads">Head count NH.</param>
    public static void Backward(
        Span<float> dqkv, ReadOnlySpan<float> doutput, ReadOnlySpan<float> qkv, ReadOnlySpan<float> attention,
        int b, int t, int c, int heads)
    {
        var hs = CheckShapes(doutput, attention, qkv, default, b, t, c, heads);
        KernelChecks.Length(dqkv, (long)b * t * 3 * c, nameof(dqkv));
        dqkv.Clear();
        var parts = WorkerPool.Kernels.PartsFor(4L * b * heads * t * t * hs, b * heads);
        if (parts == 1)
        {
            BackwardRange(dqkv, doutput, qkv, attention, b, t, c, heads, 0, b * heads);
            return;
        }

        unsafe
        {
            fixed (float* d = dqkv)
            fixed (float* dout = doutput, q = qkv, a = attention)
            {
                var job = t_backward ??= new BackwardJob();
                job.DQkv = d;
                job.DOutput = dout;
                job.Qkv = q;
                job.Attention = a;
                (job.B, job.T, job.C, job.Heads) = (b, t, c, heads);
                WorkerPool.Kernels.Run(job, parts);
            }
        }
    }

    private static void BackwardRange(
        Span<float> dqkv, ReadOnlySpan<float> doutput, ReadOnlySpan<float> qkv, ReadOnlySpan<float> attention,
        int b, int t, int c, int heads, int start, int end)
    {
        var hs = c / heads;
        var scale = 1f / MathF.Sqrt(hs);
        var c3 = 3 * c;
        float[]? rented = null;
        var dp = t <= StackLimit ? stackalloc float[t] : (rented = ArrayPool<float>.Shared.Rent(t)).AsSpan(0, t);
        try
        {
            for (var bh = start; bh < end; bh++)
            {
                var (bi, h) = Math.DivRem(bh, heads);
                var seq = qkv.Slice(bi * t * c3, t * c3);
                var dseq = dqkv.Slice(bi * t * c3, t * c3);
                {
                    for (var ti = 0; ti < t; ti++)
                    {
                        var row = attention.Slice(((bi * heads + h) * t + ti) * t, t);
                        var dout = doutput.Slice((bi * t + ti) * c + h * hs, hs);
                        var q = seq.Slice(ti * c3 + h * hs, hs);
                        var dq = dseq.Slice(ti * c3 + h * hs, hs);
                        var sum = 0f;
                        for (var s = 0; s < t; s++)
                        {
                            var p = row[s];
                            if (p == 0f)
                            {
                                dp[s] = 0f;
                                continue;
                            }

                            var dv = dseq.Slice(s * c3 + 2 * c + h * hs, hs);
                            TensorPrimitives.MultiplyAdd(dout, p, dv, dv);
                            var d = TensorPrimitives.Dot(dout, seq.Slice(s * c3 + 2 * c + h * hs, hs));
                            dp[s] = d;
                            sum += p * d;
                        }

                        for (var s = 0; s < t; s++)
                        {
                            var p = row[s];
                            if (p == 0f)
                            {
                                continue;
                            }

                            var ds = p * (dp[s] - sum) * scale;
                            TensorPrimitives.MultiplyAdd(seq.Slice(s * c3 + c + h * hs, hs), ds, dq, dq);
                            var dk = dseq.Slice(s * c3 + c + h * hs, hs);
                            TensorPrimitives.MultiplyAdd(q, ds, dk, dk);
                        }
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    private sealed unsafe class ForwardJob : IParallelWork
    {
        public float* Output;
        public float* Attention;
        public float* Qkv;
        public byte* Mask;
        public int MaskLength;
        public bool Causal;
        public int B;
        public int T;
        public int C;
        public int Heads;

        public void Execute(int part, int parts)
        {
            var (start, end) = WorkerPool.Range(B * Heads, part, parts);
            ForwardRange(
                new Span<float>(Output, B * T * C), new Span<float>(Attention, B * Heads * T * T),
                new ReadOnlySpan<float>(Qkv, B * T * 3 * C), new ReadOnlySpan<byte>(Mask, MaskLength),
                Causal, B, T, C, Heads, start, end);
        }
    }

    private sealed unsafe class BackwardJob : IParallelWork
    {
        public float* DQkv;
        public float* DOutput;
        public float* Qkv;
        public float* Attention;
        public int B;
        public int T;
        public int C;
        public int Heads;

        public void Execute(int part, int parts)
        {
            var (start, end) = WorkerPool.Range(B * Heads, part, parts);
            BackwardRange(
                new Span<float>(DQkv, B * T * 3 * C), new ReadOnlySpan<float>(DOutput, B * T * C),
                new ReadOnlySpan<float>(Qkv, B * T * 3 * C), new ReadOnlySpan<float>(Attention, B * Heads * T * T),
                B, T, C, Heads, start, end);
        }
    }

    private static int CheckShapes(
        ReadOnlySpan<float> output, ReadOnlySpan<float> attention, ReadOnlySpan<float> qkv, ReadOnlySpan<byte> keyMask,
        int b, int t, int c, int heads)
    {
        KernelChecks.Positive(heads, nameof(heads));
        if (c % heads != 0)
        {
            throw new ArgumentException($"The width {c} is not divisible by the head count {heads}.", nameof(heads));
        }

        KernelChecks.Length(output, (long)b * t * c, nameof(output));
        KernelChecks.Length(attention, (long)b * heads * t * t, nameof(attention));
        KernelChecks.Length(qkv, (long)b * t * 3 * c, nameof(qkv));
        if (!keyMask.IsEmpty)
        {
            KernelChecks.Count(keyMask, (long)b * t, nameof(keyMask));
        }

        return c / heads;
    }
}
