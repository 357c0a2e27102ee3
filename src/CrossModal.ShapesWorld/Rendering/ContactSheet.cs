using System;
using System.Collections.Generic;
using CrossModal.Abstractions;

namespace CrossModal.ShapesWorld.Rendering;

/// <summary>Tiles images into one grid image (nearest-neighbour enlarged), for looking at many renders at once.</summary>
public static class ContactSheet
{
    /// <summary>Composes a grid: image i goes to row i / columns, column i % columns, on a dark grey canvas.</summary>
    /// <param name="images">One or more images, all the same size.</param>
    /// <param name="columns">Images per row, one or more.</param>
    /// <param name="scale">Integer enlargement of every image, 1 to 16.</param>
    /// <param name="padding">Pixels between and around tiles, 0 to 64.</param>
    /// <returns>The sheet.</returns>
    /// <exception cref="ArgumentException">No images, or images of different sizes.</exception>
    public static ImageData Compose(IReadOnlyList<ImageData> images, int columns, int scale = 4, int padding = 4)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scale, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(padding, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(padding, 64);
        if (images.Count == 0)
        {
            throw new ArgumentException("A contact sheet needs at least one image.", nameof(images));
        }

        int w = images[0].Width;
        int h = images[0].Height;
        int rows = (images.Count + columns - 1) / columns;
        int cols = Math.Min(columns, images.Count);
        int width = cols * (w * scale + padding) + padding;
        int height = rows * (h * scale + padding) + padding;
        var pixels = new byte[width * height * 3];
        pixels.AsSpan().Fill(40);
        for (int i = 0; i < images.Count; i++)
        {
            ImageData img = images[i];
            if (img.Width != w || img.Height != h)
            {
                throw new ArgumentException($"Image {i} is {img.Width}×{img.Height} but image 0 is {w}×{h}.", nameof(images));
            }

            int ox = padding + (i % columns) * (w * scale + padding);
            int oy = padding + (i / columns) * (h * scale + padding);
            for (int y = 0; y < h * scale; y++)
            {
                for (int x = 0; x < w * scale; x++)
                {
                    int src = ((y / scale) * w + x / scale) * 3;
                    int dst = ((oy + y) * width + ox + x) * 3;
                    pixels[dst] = img.Pixels[src];
                    pixels[dst + 1] = img.Pixels[src + 1];
                    pixels[dst + 2] = img.Pixels[src + 2];
                }
            }
        }

        return new ImageData(width, height, pixels);
    }
}
