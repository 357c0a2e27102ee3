namespace CrossModal.Tensors.Tests.Reference;

/// <summary>Naive scalar twins of the convolution and pooling kernels, straight from their definitions, in double.</summary>
internal static class ConvReferenceKernels
{
    public static int Out(int size, int k, int s, int p) => ((size + 2 * p - k) / s) + 1;

    public static void ConvForward(float[] output, float[] input, float[] weight, float[]? bias, int b, int c, int h, int w, int oc, int k, int s, int p)
    {
        int oh = Out(h, k, s, p), ow = Out(w, k, s, p);
        for (var n = 0; n < b; n++)
        for (var o = 0; o < oc; o++)
        for (var y = 0; y < oh; y++)
        for (var x = 0; x < ow; x++)
        {
            double sum = bias is null ? 0 : bias[o];
            for (var ci = 0; ci < c; ci++)
            for (var i = 0; i < k; i++)
            for (var j = 0; j < k; j++)
            {
                int iy = y * s - p + i, ix = x * s - p + j;
                if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                {
                    sum += (double)weight[((o * c + ci) * k + i) * k + j] * input[((n * c + ci) * h + iy) * w + ix];
                }
            }

            output[((n * oc + o) * oh + y) * ow + x] = (float)sum;
        }
    }

    public static void ConvBackward(float[] dinput, float[] dweight, float[]? dbias, float[] doutput, float[] input, float[] weight, int b, int c, int h, int w, int oc, int k, int s, int p)
    {
        int oh = Out(h, k, s, p), ow = Out(w, k, s, p);
        var dx = new double[dinput.Length];
        var dw = new double[dweight.Length];
        var db = new double[oc];
        for (var n = 0; n < b; n++)
        for (var o = 0; o < oc; o++)
        for (var y = 0; y < oh; y++)
        for (var x = 0; x < ow; x++)
        {
            double g = doutput[((n * oc + o) * oh + y) * ow + x];
            db[o] += g;
            for (var ci = 0; ci < c; ci++)
            for (var i = 0; i < k; i++)
            for (var j = 0; j < k; j++)
            {
                int iy = y * s - p + i, ix = x * s - p + j;
                if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                {
                    var wi = ((o * c + ci) * k + i) * k + j;
                    var xi = ((n * c + ci) * h + iy) * w + ix;
                    dw[wi] += g * input[xi];
                    dx[xi] += g * weight[wi];
                }
            }
        }

        for (var i = 0; i < dinput.Length; i++)
        {
            dinput[i] = (float)dx[i];
        }

        for (var i = 0; i < dweight.Length; i++)
        {
            dweight[i] += (float)dw[i];
        }

        if (dbias is not null)
        {
            for (var i = 0; i < oc; i++)
            {
                dbias[i] += (float)db[i];
            }
        }
    }
}
