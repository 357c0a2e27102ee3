using System;
using Xunit;

namespace CrossModal.Tensors.Tests;

public class HostArrayTests
{
    [Fact]
    public void Holds_shape_and_data_and_deconstructs()
    {
        var array = new HostArray([2, 3], new float[6]);
        var (shape, data) = array;

        Assert.Equal(2, array.Rank);
        Assert.Same(array.Shape, shape);
        Assert.Same(array.Data, data);
    }

    [Fact]
    public void A_scalar_has_rank_zero_and_one_element()
    {
        Assert.Equal(0, new HostArray([], [4f]).Rank);
        Assert.Throws<ArgumentException>(() => new HostArray([], []));
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, 5, "holds 6 elements but the data has 5")]
    [InlineData(new[] { 2, -3 }, 6, "Dimension 1 of the shape is -3")]
    [InlineData(new[] { 65536, 65536 }, 0, "holds more than 2147483647 elements")]
    public void Rejects_a_shape_that_does_not_match_the_data(int[] shape, int length, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new HostArray(shape, new float[length]));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_length_dimensions_need_empty_data()
    {
        Assert.Empty(new HostArray([0, 5], []).Data);
        Assert.Empty(new HostArray([int.MaxValue, int.MaxValue, 0], []).Data);
    }

    [Fact]
    public void Rejects_null_arguments()
    {
        Assert.Throws<ArgumentNullException>(() => new HostArray(null!, []));
        Assert.Throws<ArgumentNullException>(() => new HostArray([0], null!));
    }
}
