using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary><c>CrisisDesk:Nodes</c>: how the web nodes of one CrisisDesk find and trust the ingest nodes.</summary>
public sealed class FeedHubOptions
{
    public const string Section = "CrisisDesk:Nodes";

    /// <summary>A web-only node subscribes here: an ingest node's (or the load balancer's) <c>…/hubs/feed</c>.</summary>
    public Uri? IngestHubUrl { get; set; }

    /// <summary>
    /// More ingest nodes' hubs (<c>IngestHubUrls:0</c>, <c>:1</c>, …; <c>CrisisDesk__Nodes__IngestHubUrls__0</c>): a
    /// web-only node follows the first it reaches, after <see cref="IngestHubUrl"/>, and moves to the next when the one it
    /// follows is lost. With several ingest nodes they share the Redis backplane, so any of them carries every incident.
    /// </summary>
    public List<Uri> IngestHubUrls { get; set; } = [];

    /// <summary>Every hub to follow, in the order tried: <see cref="IngestHubUrl"/> first, then <see cref="IngestHubUrls"/>, each once.</summary>
    public IReadOnlyList<Uri> HubUrls() =>
        (IngestHubUrl is null ? IngestHubUrls : [IngestHubUrl, .. IngestHubUrls]).Distinct().ToList();

    /// <summary>
    /// The secret the web nodes present to the ingest nodes' hub, the same on every node (at least 32 characters; keep
    /// it in the environment file, never in appsettings). Without it the hub serves only outside subscribers' tokens.
    /// </summary>
    public string? ClusterKey { get; set; }

    public const int MinimumKeyLength = 32;

    /// <summary>
    /// <c>CrisisDesk:Redis</c>: a StackExchange.Redis configuration string (<c>127.0.0.1:6379,password=…</c>). When set,
    /// the ingest nodes' hubs share one Redis backplane.
    /// </summary>
    public const string RedisKey = "CrisisDesk:Redis";

    // The ingest node's part of this section (its name, its leases' length) is CrisisDesk.Ingest's IngestNodeOptions.

    /// <summary>
    /// How often a web-only node also reads every incident's new posts from PostgreSQL, whatever the hub said (0: never):
    /// what another ingest node commits, or a lost push, shows within this.
    /// </summary>
    public double SweepSeconds { get; set; } = 2;
}

internal sealed class FeedHubOptionsValidation(NodeRoles roles) : IValidateOptions<FeedHubOptions>
{
    public ValidateOptionsResult Validate(string? name, FeedHubOptions options)
    {
        var problems = new List<string>();
        if (options.ClusterKey is { } key && key.Length < FeedHubOptions.MinimumKeyLength)
            problems.Add($"{FeedHubOptions.Section}:ClusterKey must be at least {FeedHubOptions.MinimumKeyLength} characters.");
        if (options.SweepSeconds is < 0 or > 3600)
            problems.Add($"{FeedHubOptions.Section}:SweepSeconds must be between 0 (off) and 3600.");
        if (roles.WebOnly)
        {
            var urls = options.HubUrls();
            if (urls.Count == 0)
                problems.Add($"A web-only node needs {FeedHubOptions.Section}:IngestHubUrl (or IngestHubUrls:0, :1, …), the http(s) address of an ingest node's {FeedHub.Path}.");
            foreach (var url in urls.Where(u => !u.IsAbsoluteUri || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps)))
                problems.Add($"{FeedHubOptions.Section}:IngestHubUrl(s) must be http(s) addresses of ingest nodes' {FeedHub.Path}, not \"{url}\".");
            if (string.IsNullOrEmpty(options.ClusterKey))
                problems.Add($"A web-only node needs {FeedHubOptions.Section}:ClusterKey, the same on every node.");
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
