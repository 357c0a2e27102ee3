using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using CrossModal.Abstractions;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Rendering;

/// <summary>
/// Draws a <see cref="Scene"/> into an RGB <see cref="ImageData"/> of <see cref="ImageSize"/>² pixels, anti-aliased
/// by <see cref="Supersampling"/>² point samples per pixel, in the <see cref="RenderStyle.Photo"/> or
/// <see cref="RenderStyle.Synthetic"/> style. Everything random in a render comes from its seed, so the same
/// (scene, style, seed) gives the same bytes everywhere. Thread-safe: scratch memory is rented per call.
/// </summary>
public sealed class ShapesRenderer
{
    private const float PositionJitter = 0.015f; // fraction of the side; SceneLayout's dominance ratio keeps relations under it
    private const float MaxRotation = 0.2f;     // radians (≈ 11°): a square must not turn into a diamond

    // 4,096 standard normal values from a fixed seed; sensor noise indexes it with random bits, which is ~20× cheaper
    // than a Box–Muller sample per channel and indistinguishable at these noise levels.
    private static readonly float[] GaussianTable = BuildGaussianTable();

    /// <summary>Creates a renderer.</summary>
    /// <param name="imageSize">Side of the square images in pixels, 16 to 512 (default 32; 48 is the larger option).</param>
    /// <param name="supersampling">Samples per pixel along each axis, 1 to 8 (default 4: 16 samples per pixel).</param>
    public ShapesRenderer(int imageSize = 32, int supersampling = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(imageSize, 512);
        ArgumentOutOfRangeException.ThrowIfLessThan(supersampling, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(supersampling, 8);
        ImageSize = imageSize;
        Supersampling = supersampling;
    }

    /// <summary>Side of the images in pixels.</summary>
    public int ImageSize { get; }

    /// <summary>Samples per pixel along each axis.</summary>
    public int Supersampling { get; }

    /// <summary>Renders a scene into a new image.</summary>
    /// <param name="scene">The scene.</param>
    /// <param name="style">The style.</param>
    /// <param name="seed">Seed of every random choice of this render (background, jitter, noise).</param>
    /// <returns>An <see cref="ImageSize"/>² RGB image.</returns>
    public ImageData Render(Scene scene, RenderStyle style, ulong seed)
    {
        var pixels = new byte[ImageSize * ImageSize * 3];
        Render(scene, style, seed, pixels);
        return new ImageData(ImageSize, ImageSize, pixels);
    }

    /// <summary>Renders a scene into <paramref name="destination"/>.</summary>
    /// <param name="scene">The scene.</param>
    /// <param name="style">The style.</param>
    /// <param name="seed">Seed of every random choice of this render.</param>
    /// <param name="destination">(S, S, 3) RGB bytes, row-major; exactly <see cref="ImageSize"/>² × 3 long.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: skip tier-0 code and on-stack replacement
    public void Render(Scene scene, RenderStyle style, ulong seed, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(scene);
        int s = ImageSize;
        if (destination.Length != s * s * 3)
        {
            throw new ArgumentException($"destination must hold {s}×{s}×3 = {s * s * 3} bytes but holds {destination.Length}.", nameof(destination));
        }

        float[] buffer = ArrayPool<float>.Shared.Rent(s * s * 3);
        try
        {
            Span<float> rgb = buffer.AsSpan(0, s * s * 3); // (S, S, 3)
            var random = new WorldRandom(seed);
            if (style == RenderStyle.Photo)
            {
                DrawPhoto(scene, random, rgb);
            }
            else
            {
                DrawSynthetic(scene, rgb);
            }

            for (int i = 0; i < rgb.Length; i++)
            {
                float v = rgb[i] * 255f + 0.5f;
                destination[i] = (byte)(v <= 0f ? 0 : v >= 255f ? 255 : (int)v);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: skip tier-0 code and on-stack replacement
    private void DrawSynthetic(Scene scene, Span<float> rgb)
    {
        int s = ImageSize;
        rgb.Fill(0.94f);
        float outline = 0.018f * s; // pixels: a thin icon outline (0.6 px at 32, 0.9 px at 48) that keeps small stars coloured
        foreach (PlacedObject o in scene.Placements)
        {
            float r = o.Radius * s;
            (float cr, float cg, float cb) = ColorPalette.Rgb(o.Object.Color);
            Paint(rgb, o.Object.Shape, o.X * s, o.Y * s, r, 1f, 0f, 1f, (0.12f, 0.12f, 0.14f), 0f, Supersampling, shadow: 0f);
            Paint(rgb, o.Object.Shape, o.X * s, o.Y * s, r, 1f, 0f, r / MathF.Max(r - outline, 1f), (cr, cg, cb), 0f, Supersampling, shadow: 0f);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: skip tier-0 code and on-stack replacement
    private void DrawPhoto(Scene scene, WorldRandom random, Span<float> rgb)
    {
        int s = ImageSize;
        DrawTexturedBackground(random, rgb);

        // Light comes from one side: shadows fall away from it, objects are lit on that side.
        float lightAngle = random.NextFloat(0f, 2f * MathF.PI);
        float shadowX = -MathF.Cos(lightAngle) * 0.03f * s;
        float shadowY = MathF.Abs(MathF.Sin(lightAngle)) * 0.03f * s + 0.015f * s;
        foreach (PlacedObject o in scene.Placements)
        {
            float cx = (o.X + random.NextFloat(-PositionJitter, PositionJitter)) * s;
            float cy = (o.Y + random.NextFloat(-PositionJitter, PositionJitter)) * s;
            float r = o.Radius * random.NextFloat(0.92f, 1.08f) * s;
            float angle = random.NextFloat(-MaxRotation, MaxRotation);
            (float cr, float cg, float cb) = ColorPalette.Rgb(o.Object.Color);
            float brightness = random.NextFloat(0.8f, 1.08f);
            cr = Math.Clamp(cr * brightness + 0.035f * random.NextGaussian(), 0f, 1f);
            cg = Math.Clamp(cg * brightness + 0.035f * random.NextGaussian(), 0f, 1f);
            cb = Math.Clamp(cb * brightness + 0.035f * random.NextGaussian(), 0f, 1f);
            float cos = MathF.Cos(angle);
            float sin = MathF.Sin(angle);
            Paint(rgb, o.Object.Shape, cx + shadowX, cy + shadowY, r * 1.04f, cos, sin, 1f, default, 0f, 2, shadow: 0.32f);
            Paint(rgb, o.Object.Shape, cx, cy, r, cos, sin, 1f, (cr, cg, cb), 0.14f, Supersampling, shadow: 0f);
        }

        // Lighting gradient over the whole picture.
        float gradient = random.NextFloat(0.1f, 0.35f);
        float gx = MathF.Cos(lightAngle) * gradient;
        float gy = MathF.Sin(lightAngle) * gradient;
        for (int y = 0; y < s; y++)
        {
            for (int x = 0; x < s; x++)
            {
                float f = 1f + gx * ((x + 0.5f) / s - 0.5f) + gy * ((y + 0.5f) / s - 0.5f);
                int p = (y * s + x) * 3;
                rgb[p] *= f;
                rgb[p + 1] *= f;
                rgb[p + 2] *= f;
            }
        }

        if (random.Next(2) == 0)
        {
            BoxBlur(rgb, s, random.NextFloat(0.3f, 0.7f));
        }

        float sigma = random.NextFloat(0.01f, 0.03f);
        float[] table = GaussianTable;
        ulong bits = 0;
        for (int i = 0; i < rgb.Length; i++)
        {
            if (i % 5 == 0)
            {
                bits = random.NextUInt64();
            }

            rgb[i] += sigma * table[(int)(bits & 4095)];
            bits >>= 12;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: skip tier-0 code and on-stack replacement
    private void DrawTexturedBackground(WorldRandom random, Span<float> rgb)
    {
        int s = ImageSize;

        // A muted surface colour (saturation ≤ 0.22, so it never reads as a palette colour) …
        (float br, float bg, float bb) = Hsv(random.NextFloat(0f, 1f), random.NextFloat(0.03f, 0.22f), random.NextFloat(0.45f, 0.85f));

        // … with two octaves of value noise (a coarse 5×5 and a fine 9×9 lattice, bilinearly interpolated).
        Span<float> coarse = stackalloc float[25];
        Span<float> fine = stackalloc float[81];
        float coarseAmp = random.NextFloat(0.03f, 0.1f);
        float fineAmp = random.NextFloat(0.01f, 0.05f);
        for (int i = 0; i < coarse.Length; i++)
        {
            coarse[i] = random.NextFloat(-coarseAmp, coarseAmp);
        }

        for (int i = 0; i < fine.Length; i++)
        {
            fine[i] = random.NextFloat(-fineAmp, fineAmp);
        }

        for (int y = 0; y < s; y++)
        {
            float fy = (y + 0.5f) / s;
            for (int x = 0; x < s; x++)
            {
                float fx = (x + 0.5f) / s;
                float t = Lattice(coarse, 5, fx, fy) + Lattice(fine, 9, fx, fy);
                int p = (y * s + x) * 3;
                rgb[p] = br + t;
                rgb[p + 1] = bg + t;
                rgb[p + 2] = bb + t;
            }
        }
    }

    private static float Lattice(ReadOnlySpan<float> grid, int n, float fx, float fy)
    {
        float gx = fx * (n - 1);
        float gy = fy * (n - 1);
        int x0 = Math.Min((int)gx, n - 2);
        int y0 = Math.Min((int)gy, n - 2);
        float tx = gx - x0;
        float ty = gy - y0;
        float a = grid[y0 * n + x0] + (grid[y0 * n + x0 + 1] - grid[y0 * n + x0]) * tx;
        float b = grid[(y0 + 1) * n + x0] + (grid[(y0 + 1) * n + x0 + 1] - grid[(y0 + 1) * n + x0]) * tx;
        return a + (b - a) * ty;
    }

    /// <summary>
    /// Composites one shape: coverage by point sampling (ss² samples per pixel), then either alpha-blends
    /// <paramref name="color"/> (lit brighter towards the top by <paramref name="shading"/>) or, when
    /// <paramref name="shadow"/> &gt; 0, darkens by shadow × coverage.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: skip tier-0 code and on-stack replacement
    private void Paint(Span<float> rgb, Shape shape, float cx, float cy, float r, float cos, float sin, float shrink,
        (float R, float G, float B) color, float shading, int ss, float shadow)
    {
        int s = ImageSize;
        float extent = r * 1.2f;
        int x0 = Math.Max(0, (int)MathF.Floor(cx - extent));
        int x1 = Math.Min(s - 1, (int)MathF.Ceiling(cx + extent));
        int y0 = Math.Max(0, (int)MathF.Floor(cy - extent));
        int y1 = Math.Min(s - 1, (int)MathF.Ceiling(cy + extent));
        float inv = shrink / r;
        float step = 1f / ss;
        float perSample = 1f / (ss * ss);

        // A pixel reaches at most half its diagonal from its centre: (√2 / 2) pixels, in local units.
        float halfDiagonal = 0.7072f * inv;
        float inner = ShapeCoverage.InscribedRadius(shape) - halfDiagonal;
        float inner2 = inner > 0 ? inner * inner : -1f;
        float outer = ShapeCoverage.OuterRadius + halfDiagonal;
        float outer2 = outer * outer;
        for (int py = y0; py <= y1; py++)
        {
            for (int px = x0; px <= x1; px++)
            {
                float ex = (px + 0.5f - cx) * inv;
                float ey = (py + 0.5f - cy) * inv;
                float d2 = ex * ex + ey * ey;
                if (d2 > outer2)
                {
                    continue;
                }

                // Wholly inside the inscribed disc: no need to sample.
                int count = d2 < inner2 ? ss * ss : Count(shape, px, py, cx, cy, inv, cos, sin, ss, step);

                if (count == 0)
                {
                    continue;
                }

                float a = count * perSample;
                int p = (py * s + px) * 3;
                if (shadow > 0f)
                {
                    float k = 1f - shadow * a;
                    rgb[p] *= k;
                    rgb[p + 1] *= k;
                    rgb[p + 2] *= k;
                }
                else
                {
                    float lit = 1f - shading * ((py + 0.5f - cy) / r);
                    rgb[p] += a * (color.R * lit - rgb[p]);
                    rgb[p + 1] += a * (color.G * lit - rgb[p + 1]);
                    rgb[p + 2] += a * (color.B * lit - rgb[p + 2]);
                }
            }
        }
    }

    // Samples the pixel at ss × ss points of a regular grid and counts those inside the shape.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: skip tier-0 code and on-stack replacement
    private static int Count(Shape shape, int px, int py, float cx, float cy, float inv, float cos, float sin, int ss, float step)
    {
        int count = 0;
        for (int sy = 0; sy < ss; sy++)
        {
            float dy = (py + (sy + 0.5f) * step - cy) * inv;
            for (int sx = 0; sx < ss; sx++)
            {
                float dx = (px + (sx + 0.5f) * step - cx) * inv;
                float u = cos * dx + sin * dy;
                float v = -sin * dx + cos * dy;
                if (ShapeCoverage.Inside(shape, u, v))
                {
                    count++;
                }
            }
        }

        return count;
    }

    // Mixes the image with its separable [1 2 1]/4 blur by `amount` (a slightly soft lens).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: skip tier-0 code and on-stack replacement
    private static void BoxBlur(Span<float> rgb, int s, float amount)
    {
        float[] tmp = ArrayPool<float>.Shared.Rent(rgb.Length);
        float[] blurred = ArrayPool<float>.Shared.Rent(rgb.Length);
        try
        {
            for (int y = 0; y < s; y++)
            {
                for (int x = 0; x < s; x++)
                {
                    int xl = Math.Max(x - 1, 0);
                    int xr = Math.Min(x + 1, s - 1);
                    for (int c = 0; c < 3; c++)
                    {
                        tmp[(y * s + x) * 3 + c] = 0.25f * rgb[(y * s + xl) * 3 + c] + 0.5f * rgb[(y * s + x) * 3 + c] + 0.25f * rgb[(y * s + xr) * 3 + c];
                    }
                }
            }

            for (int y = 0; y < s; y++)
            {
                int yu = Math.Max(y - 1, 0);
                int yd = Math.Min(y + 1, s - 1);
                for (int x = 0; x < s; x++)
                {
                    for (int c = 0; c < 3; c++)
                    {
                        blurred[(y * s + x) * 3 + c] = 0.25f * tmp[(yu * s + x) * 3 + c] + 0.5f * tmp[(y * s + x) * 3 + c] + 0.25f * tmp[(yd * s + x) * 3 + c];
                    }
                }
            }

            for (int i = 0; i < rgb.Length; i++)
            {
                rgb[i] += amount * (blurred[i] - rgb[i]);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tmp);
            ArrayPool<float>.Shared.Return(blurred);
        }
    }

    private static float[] BuildGaussianTable()
    {
        var random = new WorldRandom(0x4E4F495345UL);
        var table = new float[4096];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = random.NextGaussian();
        }

        return table;
    }

    private static (float R, float G, float B) Hsv(float h, float sat, float val)
    {
        float h6 = h * 6f;
        int sector = (int)h6 % 6;
        float f = h6 - MathF.Floor(h6);
        float p = val * (1 - sat);
        float q = val * (1 - sat * f);
        float t = val * (1 - sat * (1 - f));
        return sector switch
        {
            0 => (val, t, p),
            1 => (q, val, p),
            2 => (p, val, t),
            3 => (p, q, val),
            4 => (t, p, val),
            _ => (val, p, q),
        };
    }
}
