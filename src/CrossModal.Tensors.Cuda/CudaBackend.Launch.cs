using System;
using CrossModal.Tensors.Cuda.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace CrossModal.Tensors.Cuda;

/// <content>
/// Kernel loading: each kernel is compiled on its first use (ILGPU compiles IL to PTX, or to IL for the CPU test device)
/// and kept; launches are queued on the backend's stream.
/// </content>
public sealed partial class CudaBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, float>? _fill;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, float>? _scale;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>>? _copy;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, float>? _axpy;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _add;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _multiply;
    private Action<AcceleratorStream, KernelConfig, ArrayView<double>, ArrayView<float>, ArrayView<float>, int>? _partialsKernel;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int>? _addBias;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int>? _biasBackward;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int>? _activationForward;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _activationBackward;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ulong, uint, float>? _dropout;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? _layerNormForward;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _layerNormBackwardInput;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _layerNormBackwardParameters;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int>? _softmaxForward;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _softmaxBackward;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _onlineSoftmaxStep;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? _l2Forward;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? _l2Backward;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>? _embeddingForward;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int>? _embeddingBackward;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int>? _addPositions;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int>? _addPositionsBackward;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<byte>, int, int, int, int, int>? _attentionForward;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>? _attentionBackwardScores;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>? _attentionBackwardInputs;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>? _cacheStore;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>? _cachedAttention;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, float>? _crossEntropyForward;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, float, float>? _crossEntropyBackward;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, float>? _weightedCrossEntropyBackward;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int>? _lineLogSumExp;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _contrastiveTerms;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? _contrastiveGradient;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamWConstants>? _adamW;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float, int>? _sgd;

    /// <summary>One thread per element of <paramref name="first"/>.</summary>
    private void Launch<T1>(ref Action<AcceleratorStream, Index1D, ArrayView<float>, T1>? kernel, Action<Index1D, ArrayView<float>, T1> body, ArrayView<float> first, T1 a1)
        where T1 : struct
    {
        if (first.Length == 0)
        {
            return;
        }

        kernel ??= _accelerator.LoadAutoGroupedKernel(body);
        kernel(_stream, (int)first.Length, first, a1);
    }

    /// <summary>One thread per element of <paramref name="first"/>.</summary>
    private void Launch<T1, T2>(ref Action<AcceleratorStream, Index1D, ArrayView<float>, T1, T2>? kernel, Action<Index1D, ArrayView<float>, T1, T2> body, ArrayView<float> first, T1 a1, T2 a2)
        where T1 : struct
        where T2 : struct
    {
        if (first.Length == 0)
        {
            return;
        }

        kernel ??= _accelerator.LoadAutoGroupedKernel(body);
        kernel(_stream, (int)first.Length, first, a1, a2);
    }

    /// <summary>A launch of one group per row.</summary>
    private KernelConfig PerRow(int rows) => new(rows, _groupSize);
}
