using DistTrain.Core.Kernels;

namespace DistTrain.Core.Tests.Kernels;

public sealed class BFloat16Tests
{
    [Theory]
    [InlineData(1f, (ushort)0x3F80)]
    [InlineData(-2f, (ushort)0xC000)]
    [InlineData(0f, (ushort)0x0000)]
    [InlineData(-0f, (ushort)0x8000)]
    [InlineData(float.PositiveInfinity, (ushort)0x7F80)]
    [InlineData(float.NegativeInfinity, (ushort)0xFF80)]
    [InlineData(1.00390625f, (ushort)0x3F80)]  // 1 + 2^-8: a tie, to the even 1
    [InlineData(1.01171875f, (ushort)0x3F82)]  // 1 + 3·2^-8: a tie, to the even 1 + 2^-6
    [InlineData(1.0041f, (ushort)0x3F81)]      // just above the tie: up
    [InlineData(3.4028235e38f, (ushort)0x7F80)] // float.MaxValue rounds up to infinity
    public void Round_IsToNearestTiesToEven(float value, ushort expected) => Assert.Equal(expected, BFloat16.Round(value));

    [Fact]
    public void NaN_StaysNaN() => Assert.True(float.IsNaN(BFloat16.Widen(BFloat16.Round(float.NaN))));

    [Fact]
    public void VectorKernels_EqualTheScalarRule_ForEveryLength()
    {
        var random = new Random(16);
        foreach (var length in new[] { 0, 1, 31, 32, 33, 64, 100, 1000 })
        {
            var values = Enumerable.Range(0, length).Select(_ => BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32))).ToArray();
            var rounded = new ushort[length];
            BFloat16.Round(values, rounded);
            Assert.Equal(values.Select(BFloat16.Round).ToArray(), rounded);

            var widened = new float[length];
            BFloat16.Widen(rounded, widened);
            Assert.Equal(rounded.Select(b => BitConverter.SingleToUInt32Bits(BFloat16.Widen(b))), widened.Select(BitConverter.SingleToUInt32Bits));
        }
    }

    [Fact]
    public void Rounding_KeepsEightBitsOfPrecision()
    {
        var random = new Random(3);
        for (var i = 0; i < 10_000; i++)
        {
            var x = (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-20, 20)));
            var back = BFloat16.Widen(BFloat16.Round(x));
            Assert.True(Math.Abs(back - x) <= Math.Abs(x) * (1.0 / 256), $"{x} → {back}");
        }
    }

    [Fact]
    public void ErrorFeedback_LosesNothingForGood()
    {
        var random = new Random(7);
        const int Length = 777;
        var residual = new float[Length];
        var sent = new ushort[Length];
        var meant = new double[Length];
        var received = new double[Length];
        for (var step = 0; step < 200; step++)
        {
            var values = Enumerable.Range(0, Length).Select(_ => (float)(random.NextDouble() * 1e-3 + 1)).ToArray();
            BFloat16.RoundWithFeedback(values, residual, sent);
            for (var i = 0; i < Length; i++)
            {
                meant[i] += values[i];
                received[i] += BFloat16.Widen(sent[i]);
            }
        }
        // Without feedback each step could drop up to 2^-8 of 1 (200 steps: ~0.8); with it, the
        // sums differ by the last residual only, under one rounding step.
        for (var i = 0; i < Length; i++)
        {
            Assert.True(Math.Abs(meant[i] - received[i] - residual[i]) < 1e-3, $"element {i}: {meant[i]} meant, {received[i]} received, residual {residual[i]}");
            Assert.True(Math.Abs(residual[i]) <= 1.0 / 128);
        }
    }
}
