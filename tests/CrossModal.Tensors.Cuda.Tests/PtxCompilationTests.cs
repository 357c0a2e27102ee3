using System;
using System.Linq;
using System.Reflection;
using CrossModal.Tensors.Cuda.Kernels;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace CrossModal.Tensors.Cuda.Tests;

/// <summary>
/// Every kernel compiles to PTX (ILGPU's PTX backend set up for Hopper, sm_90, PTX ISA 8.3), which needs no driver: on machines
/// without a GPU this is the check that the kernels use only what ILGPU can translate for CUDA (the CPU accelerator
/// runs them as IL and would not notice).
/// </summary>
public sealed class PtxCompilationTests
{
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (var method in KernelMethods())
        {
            data.Add($"{method.DeclaringType!.Name}.{method.Name}");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_ptx(string name)
    {
        var method = KernelMethods().Single(m => $"{m.DeclaringType!.Name}.{m.Name}" == name);
        using var context = Context.Create(b => b.EnableAlgorithms());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_83, null);
        var entry = method.GetParameters().FirstOrDefault()?.ParameterType == typeof(Index1D)
            ? EntryPointDescription.FromImplicitlyGroupedKernel(method)
            : EntryPointDescription.FromExplicitlyGroupedKernel(method);
        var compiled = (PTXCompiledKernel)backend.Compile(entry, default);
        Assert.Contains(".entry Kernel_", compiled.PTXAssembly, StringComparison.Ordinal);
        Assert.Contains(".target sm_", compiled.PTXAssembly, StringComparison.Ordinal);
    }

    private static MethodInfo[] KernelMethods()
        => new[] { typeof(ElementwiseKernels), typeof(NormalizationKernels), typeof(AttentionKernels), typeof(LossKernels), typeof(EmbeddingKernels), typeof(OptimizerKernels), typeof(ReductionKernels), typeof(GemmKernels), typeof(ConvolutionKernels) }
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.ReturnType == typeof(void))
            .ToArray();
}
