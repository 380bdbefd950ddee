namespace CrisisDesk.Ingest.Pipeline;

/// <summary>
/// This ingest node's part of <c>CrisisDesk:Nodes</c>: its name in <c>source_leases</c> and how long its leases last.
/// The web's part of the same section (the hub addresses, the cluster key) is <c>FeedHubOptions</c>.
/// </summary>
public sealed class IngestNodeOptions
{
    public const string Section = "CrisisDesk:Nodes";

    /// <summary>This node's name in <c>source_leases</c> (unique per running node); by default host, process id and a random suffix.</summary>
    public string? Name { get; set; }

    /// <summary>How long a source lease lasts unrenewed: how soon another ingest node takes a dead node's sources.</summary>
    public double LeaseSeconds { get; set; } = IngestNodeSettings.DefaultLeaseTtl.TotalSeconds;
}
