using System;

namespace CrossModal.Tensors.Tests.Reference;

/// <summary>Slow scalar twins of the nn kernels, written straight from the formulas, accumulating in double.</summary>
internal static class NnReferenceKernels
{
    public static void LayerNormForward(float[] output, float[] input, float[] weight, float[] bias, int n, int c, float eps)
    {
        for (var i = 0; i < n; i++)
        {
            double mean = 0, variance = 0;
            for (var j = 0; j < c; j++)
            {
                mean += input[i * c + j];
            }

            mean /= c;
            for (var j = 0; j < c; j++)
            {
                var d = input[i * c + j] - mean;
                variance += d * d;
            }

            variance /= c;
            var rstd = 1.0 / Math.Sqrt(variance + eps);
            for (var j = 0; j < c; j++)
            {
                output[i * c + j] = (float)((input[i * c + j] - mean) * rstd * weight[j] + bias[j]);
            }
        }
    }

    /// <summary>dx, dw, db of Σ dout ⊙ LayerNorm(x) by the textbook formula (llm.c's layernorm.py).</summary>
    public static void LayerNormBackward(float[] dx, float[] dw, float[] db, float[] dout, float[] input, float[] weight, int n, int c, float eps)
    {
        for (var i = 0; i < n; i++)
        {
            double mean = 0, variance = 0;
            for (var j = 0; j < c; j++)
            {
                mean += input[i * c + j];
            }

            mean /= c;
            for (var j = 0; j < c; j++)
            {
                variance += (input[i * c + j] - mean) * (input[i * c + j] - mean);
            }

            variance /= c;
            var rstd = 1.0 / Math.Sqrt(variance + eps);
            double sumG = 0, sumGx = 0;
            for (var j = 0; j < c; j++)
            {
                var xhat = (input[i * c + j] - mean) * rstd;
                var g = (double)dout[i * c + j] * weight[j];
                sumG += g;
                sumGx += g * xhat;
                dw[j] += (float)(dout[i * c + j] * xhat);
                db[j] += dout[i * c + j];
            }

            for (var j = 0; j < c; j++)
            {
                var xhat = (input[i * c + j] - mean) * rstd;
                var g = (double)dout[i * c + j] * weight[j];
                dx[i * c + j] = (float)(rstd * (g - sumG / c - xhat * sumGx / c));
            }
        }
    }

    public static double Gelu(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    public static double QuickGelu(double x) => x / (1 + Math.Exp(-1.702 * x));

    /// <summary>Derivative by a central difference in double precision: an oracle independent of the analytic form.</summary>
    public static double Derivative(Func<double, double> f, double x)
    {
        const double H = 1e-5;
        return (f(x + H) - f(x - H)) / (2 * H);
    }

    /// <summary>Attention with the definition's loops: scores, masked softmax, weighted values.</summary>
    public static void AttentionForward(float[] output, float[] qkv, byte[] mask, bool causal, int b, int t, int c, int nh)
    {
        var hs = c / nh;
        var scores = new double[t];
        for (var bi = 0; bi < b; bi++)
        {
            for (var h = 0; h < nh; h++)
            {
                for (var i = 0; i < t; i++)
                {
                    var max = double.NegativeInfinity;
                    for (var s = 0; s < t; s++)
                    {
                        var visible = (!causal || s <= i) && (mask.Length == 0 || mask[bi * t + s] != 0);
                        if (!visible)
                        {
                            scores[s] = double.NegativeInfinity;
                            continue;
                        }

                        double dot = 0;
                        for (var k = 0; k < hs; k++)
                        {
                            dot += (double)qkv[(bi * t + i) * 3 * c + h * hs + k] * qkv[(bi * t + s) * 3 * c + c + h * hs + k];
                        }

                        scores[s] = dot / Math.Sqrt(hs);
                        max = Math.Max(max, scores[s]);
                    }

                    double sum = 0;
                    for (var s = 0; s < t; s++)
                    {
                        scores[s] = double.IsNegativeInfinity(max) ? 0 : Math.Exp(scores[s] - max);
                        sum += scores[s];
                    }

                    for (var k = 0; k < hs; k++)
                    {
                        double acc = 0;
                        for (var s = 0; s < t; s++)
                        {
                            acc += sum == 0 ? 0 : scores[s] / sum * qkv[(bi * t + s) * 3 * c + 2 * c + h * hs + k];
                        }

                        output[(bi * t + i) * c + h * hs + k] = (float)acc;
                    }
                }
            }
        }
    }

    /// <summary>PyTorch's label-smoothed cross-entropy, mean over non-ignored rows.</summary>
    public static double CrossEntropy(float[] logits, int[] targets, int n, int v, int ignore, double eps)
    {
        double total = 0;
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            if (targets[i] == ignore)
            {
                continue;
            }

            var max = double.NegativeInfinity;
            for (var j = 0; j < v; j++)
            {
                max = Math.Max(max, logits[i * v + j]);
            }

            double sum = 0;
            for (var j = 0; j < v; j++)
            {
                sum += Math.Exp(logits[i * v + j] - max);
            }

            var lse = max + Math.Log(sum);
            double smooth = 0;
            for (var j = 0; j < v; j++)
            {
                smooth += lse - logits[i * v + j];
            }

            total += (1 - eps) * (lse - logits[i * v + targets[i]]) + eps * smooth / v;
            count++;
        }

        return count == 0 ? 0 : total / count;
    }

    public static void AdamW(float[] p, float[] g, float[] m, float[] v, double lr, double b1, double b2, double eps, double wd, int step)
    {
        for (var i = 0; i < p.Length; i++)
        {
            double pi = p[i] * (1 - lr * wd);
            var mi = b1 * m[i] + (1 - b1) * g[i];
            var vi = b2 * v[i] + (1 - b2) * g[i] * g[i];
            var mhat = mi / (1 - Math.Pow(b1, step));
            var vhat = vi / (1 - Math.Pow(b2, step));
            p[i] = (float)(pi - lr * mhat / (Math.Sqrt(vhat) + eps));
            m[i] = (float)mi;
            v[i] = (float)vi;
        }
    }
}
