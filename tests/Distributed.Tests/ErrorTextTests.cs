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

    /// <summary>The console's line when the cluster stopped answering: Orleans' connection failure
    /// becomes the silo that is gone and what to do, anything else its first line.</summary>
    [Fact]
    public void TheConsole_NamesTheSiloThatIsGone()
    {
        var lost = new Orleans.Runtime.OrleansException(
            "Exception while sending message: Orleans.Runtime.Messaging.ConnectionFailedException: Unable to connect to endpoint S127.0.0.1:11111:155189625. See InnerException");
        var shown = DistTrain.Client.Output.UserError.Unanswered(lost);
        Assert.StartsWith("silo 127.0.0.1:11111 is gone", shown);
        Assert.Contains("--redis", shown);
        Assert.DoesNotContain("Orleans.", shown);
        Assert.Equal("Response did not arrive on time", DistTrain.Client.Output.UserError.Unanswered(new TimeoutException("Response did not arrive on time\n at X")));
    }

    /// <summary>A job that loses a localhost cluster's primary fails with a sentence that says why and what to do.</summary>
    [Fact]
    public void LosingThePrimary_IsExplained()
    {
        var primary = new MembershipPrimary(Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.DevelopmentClusterMembershipOptions
        {
            PrimarySiloEndpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 11111),
        }));
        var shown = ErrorText.OneSentence(primary.Describe("steps 886–894 failed: block … timed out"));
        Assert.StartsWith("the cluster's primary silo (127.0.0.1:11111) is gone", shown);
        Assert.Contains("--redis", shown);
        Assert.True(shown.Length <= ErrorText.MaxLength);
    }

    [Fact]
    public async Task APrimaryThatRefusesConnections_IsGone_AndNoPrimary_NeverIs()
    {
        // A loopback port nobody listens on (bound, then released), and the Redis case (no primary).
        int free;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            free = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var gone = new MembershipPrimary(Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.DevelopmentClusterMembershipOptions
        {
            PrimarySiloEndpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, free),
        }));
        Assert.True(await gone.IsGoneAsync(TimeSpan.FromSeconds(2)));

        using var listening = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listening.Start();
        var alive = new MembershipPrimary(Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.DevelopmentClusterMembershipOptions
        {
            PrimarySiloEndpoint = (System.Net.IPEndPoint)listening.LocalEndpoint,
        }));
        Assert.False(await alive.IsGoneAsync(TimeSpan.FromSeconds(2)));
        Assert.False(await new MembershipPrimary(Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.DevelopmentClusterMembershipOptions()))
            .IsGoneAsync(TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void AnEndlessError_IsCut() => Assert.Equal(ErrorText.MaxLength, ErrorText.OneSentence(new string('x', 5000)).Length);
}
