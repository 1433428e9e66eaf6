using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace DistTrain.Worker.Training;

/// <summary>
/// The silo that holds a localhost cluster's membership table (the one started without
/// <c>--primary</c>). When it is gone no silo can be declared dead, so calls to the grains it held
/// hang until Orleans' response timeout and nothing can take them over: a job that lost it must fail
/// saying so, not roll back again and again. Redis membership has no such silo.
/// </summary>
public sealed class MembershipPrimary(IOptions<DevelopmentClusterMembershipOptions> development)
{
    /// <summary>The primary's silo endpoint, or null when the cluster's membership needs none.</summary>
    public IPEndPoint? Endpoint => development.Value.PrimarySiloEndpoint;

    /// <summary>Whether the primary refuses connections (or does not answer within <paramref name="timeout"/>).</summary>
    public async Task<bool> IsGoneAsync(TimeSpan timeout)
    {
        if (Endpoint is not { } endpoint)
        {
            return false;
        }
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, deadline.Token);
            return false;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return true;
        }
    }

    /// <summary>Why a cluster without its primary cannot recover, and what to do.</summary>
    public string Gone =>
        $"the cluster's primary silo ({Endpoint}) is gone: with localhost clustering it holds the membership, and without it no silo can " +
        "take over the grains it held (restart the cluster and submit again, or run the silos with --redis)";

    public string Describe(string failure) => $"{Gone}; the job cannot recover: {failure}";
}

/// <summary>The membership primary of a localhost cluster went away during a job.</summary>
public sealed class MembershipPrimaryLostException(string message, Exception inner) : Exception(message, inner);
