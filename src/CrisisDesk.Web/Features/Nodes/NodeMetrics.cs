using System.Diagnostics.Metrics;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>The feed hub's and the web nodes' own counters, on the <c>CrisisDesk.Nodes</c> meter.</summary>
public sealed class NodeMetrics : IDisposable
{
    public const string MeterName = "CrisisDesk.Nodes";

    private readonly Meter _meter;
    private readonly Counter<long> _batchesPushed;
    private readonly Counter<long> _postsPushed;
    private readonly Counter<long> _batchesReceived;
    private readonly Counter<long> _hubConnects;
    private readonly UpDownCounter<long> _circuits;

    public NodeMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _batchesPushed = _meter.CreateCounter<long>("crisisdesk.hub.batches_pushed", "{batch}", "Batches the feed hub pushed (deliveries to the incident's subscribers and the web nodes).");
        _postsPushed = _meter.CreateCounter<long>("crisisdesk.hub.posts_pushed", "{post}", "Posts in the batches the feed hub pushed.");
        _batchesReceived = _meter.CreateCounter<long>("crisisdesk.hub.batches_received", "{batch}", "Batches a web node received from the feed hub.");
        _hubConnects = _meter.CreateCounter<long>("crisisdesk.hub.connects", "{connect}", "Times a web node connected to the feed hub (the first and each reconnect).");
        _circuits = _meter.CreateUpDownCounter<long>("crisisdesk.circuits.open", "{circuit}", "Blazor circuits (open war rooms and pages) on this node.");
    }

    /// <summary>The meter, for instruments read from elsewhere (the source meters).</summary>
    internal Meter Meter => _meter;

    internal void CircuitOpened() => _circuits.Add(1);

    internal void CircuitClosed() => _circuits.Add(-1);

    internal void BatchPushed(int posts)
    {
        _batchesPushed.Add(1);
        _postsPushed.Add(posts);
    }

    internal void BatchReceived(int posts) => _batchesReceived.Add(1);

    internal void HubConnected() => _hubConnects.Add(1);

    public void Dispose() => _meter.Dispose();
}
