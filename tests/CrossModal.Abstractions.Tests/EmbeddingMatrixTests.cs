using System;
using CrossModal.Abstractions;
using Xunit;

namespace CrossModal.Abstractions.Tests;

public class EmbeddingMatrixTests
{
    [Fact]
    public void Wrapping_an_array_of_the_wrong_length_names_the_counts()
    {
        var e = Assert.Throws<ArgumentException>(() => new EmbeddingMatrix(new float[5], 2, 3));
        Assert.Equal("data", e.ParamName);
        Assert.Contains("2 × 3 = 6", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rows_are_contiguous_windows_of_the_data()
    {
        var m = new EmbeddingMatrix(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        Assert.Equal(new float[] { 3, 4 }, m.Row(1).ToArray());
        m.Row(2)[0] = 50;
        Assert.Equal(50, m.Array[4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Row(3));
    }

    [Fact]
    public void EnsureFinite_reports_the_row_of_the_first_bad_value()
    {
        var m = new EmbeddingMatrix(new float[] { 1, 2, 3, float.NaN, 5, 6 }, 3, 2);
        var e = Assert.Throws<ArgumentException>(() => m.EnsureFinite("texts"));
        Assert.Equal("texts", e.ParamName);
        Assert.Contains("row 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromRows_copies_and_rejects_ragged_rows()
    {
        var m = EmbeddingMatrix.FromRows(new[] { new float[] { 1, 2 }, new float[] { 3, 4 } });
        Assert.Equal(new float[] { 1, 2, 3, 4 }, m.Array);
        var e = Assert.Throws<ArgumentException>(() => EmbeddingMatrix.FromRows(new[] { new float[] { 1, 2 }, new float[] { 3 } }));
        Assert.Contains("Row 1 has 1 values", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SliceRows_copies_the_requested_rows()
    {
        var m = new EmbeddingMatrix(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        var s = m.SliceRows(1, 2);
        Assert.Equal(new float[] { 3, 4, 5, 6 }, s.Array);
        s.Array[0] = 0;
        Assert.Equal(3, m.Array[2]);
    }

    [Fact]
    public void ImageData_checks_the_pixel_count()
    {
        var e = Assert.Throws<ArgumentException>(() => new ImageData(2, 2, new byte[11]));
        Assert.Contains("needs 12 bytes", e.Message, StringComparison.Ordinal);
    }
}
