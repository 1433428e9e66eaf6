using DistTrain.Worker.Training;

namespace DistTrain.Distributed.Tests;

public sealed class ErrorTextTests
{
    [Theory]
    [InlineData("Exc level 0: Orleans.Runtime.SiloUnavailableException: The target silo became unavailable for message: Request S127.0.0.1:11111\n   at Orleans.Runtime.Foo()\n   at Bar()",
        "The target silo became unavailable for message: Request S127.0.0.1:11111")]
    [InlineData("plain reason", "plain reason")]
    [InlineData("\n   at Only.Frames()\n", "unknown error")]
    public void AJobsError_IsOneReadableLine(string raw, string shown) => Assert.Equal(shown, ErrorText.OneSentence(raw));

    [Fact]
    public void AnEndlessError_IsCut() => Assert.Equal(ErrorText.MaxLength, ErrorText.OneSentence(new string('x', 5000)).Length);
}
