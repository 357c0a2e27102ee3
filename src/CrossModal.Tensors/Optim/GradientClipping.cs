using System;
using System.Collections.Generic;
using CrossModal.Tensors.Nn;

namespace CrossModal.Tensors.Optim;

/// <summary>Global-norm gradient clipping, as <c>torch.nn.utils.clip_grad_norm_</c>.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Computes the L2 norm of all gradients together and, when it exceeds <paramref name="maxNorm"/>, scales every
    /// gradient by <c>maxNorm/(norm + 1e-6)</c>. Returns the norm before clipping.
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clipped.</param>
    /// <param name="maxNorm">The largest allowed norm (&gt; 0).</param>
    public static float ClipGlobalNorm(IReadOnlyList<Parameter> parameters, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "Expected a positive maximum norm.");
        }

        double sum = 0;
        for (var i = 0; i < parameters.Count; i++)
        {
            sum += parameters[i].Gradient.Backend.SumOfSquares(parameters[i].Gradient);
        }

        var norm = (float)Math.Sqrt(sum);
        var coefficient = maxNorm / (norm + 1e-6f);
        if (coefficient < 1f)
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                parameters[i].Gradient.Backend.Scale(parameters[i].Gradient, coefficient);
            }
        }

        return norm;
    }
}
