using System.Diagnostics.Metrics;
using CrisisDesk.Ingest.Pipeline;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary><c>CrisisDesk:Telemetry</c>: where metrics and traces go.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "CrisisDesk:Telemetry";

    /// <summary>Serve <c>GET /metrics</c> for Prometheus (anonymous: restrict it to the monitoring network at the proxy).</summary>
    public bool Prometheus { get; set; }

    /// <summary>Log as JSON lines (<c>auto</c>: when the output is not a terminal, as under systemd), or <c>json</c> / <c>text</c> always.</summary>
    public string LogFormat { get; set; } = "auto";
}

/// <summary>
/// Metrics and traces with OpenTelemetry: ASP.NET Core's, Npgsql's (its own ActivitySource and meter) and CrisisDesk's
/// (<see cref="NodeMetrics.MeterName"/>: posts stored, quarantined and lag per source, hub deliveries, open circuits),
/// exported to Prometheus (<c>/metrics</c>, when <c>CrisisDesk:Telemetry:Prometheus</c>) and over OTLP when the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Structured JSON logs when not on a terminal.
/// </summary>
public static class NodeTelemetry
{
    public static IHostApplicationBuilder AddNodeTelemetry(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section)
            .Validate(o => o.LogFormat is "auto" or "json" or "text", $"{TelemetryOptions.Section}:LogFormat must be auto, json or text.")
            .ValidateOnStart();
        if (options.LogFormat == "json" || (options.LogFormat == "auto" && Console.IsOutputRedirected))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }

        builder.Services.AddSingleton<SourceMeters>();
        builder.Services.AddScoped<CircuitHandler, CircuitCounter>();
        var otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddMeter(NodeMetrics.MeterName, "Npgsql");
                if (options.Prometheus)
                    metrics.AddPrometheusExporter();
                if (otlp)
                    metrics.AddOtlpExporter();
            })
            .WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/healthz"))
                    .AddSource("Npgsql");
                if (otlp)
                    tracing.AddOtlpExporter();
            });
        _ = telemetry;
        return builder;
    }

    public static IEndpointRouteBuilder MapNodeTelemetry(this IEndpointRouteBuilder endpoints)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelemetryOptions>>().Value;
        if (options.Prometheus)
            endpoints.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        // The source meters read the monitor when scraped; resolving them here creates their instruments.
        _ = endpoints.ServiceProvider.GetRequiredService<SourceMeters>();
        return endpoints;
    }
}

/// <summary>Per source, read from <see cref="SourceMonitor"/> when collected: posts stored, items quarantined, lag.</summary>
internal sealed class SourceMeters
{
    public SourceMeters(NodeMetrics metrics, SourceMonitor monitor, TimeProvider time)
    {
        var meter = metrics.Meter;
        meter.CreateObservableCounter("crisisdesk.source.posts_stored", () => monitor.Snapshot().Select(s => new Measurement<long>(s.PostsStored, Tags(s))),
            "{post}", "Posts stored by each source this node runs (since the source was created).");
        meter.CreateObservableCounter("crisisdesk.source.quarantined", () => monitor.Snapshot().Select(s => new Measurement<long>(s.Quarantined, Tags(s))),
            "{item}", "Items quarantined for each source this node runs.");
        meter.CreateObservableGauge("crisisdesk.source.lag", () => monitor.Snapshot().Where(s => s.LastItemAt is not null)
                .Select(s => new Measurement<double>((time.GetUtcNow() - s.LastItemAt!.Value).TotalSeconds, Tags(s))),
            "s", "Seconds between now and the newest stored item's publication time, per source (a replay's is the replayed clock's).");
    }

    private static KeyValuePair<string, object?>[] Tags(SourceStatus s) =>
        [new("crisisdesk.source.id", s.SourceId), new("crisisdesk.incident.id", s.IncidentId), new("crisisdesk.source.kind", s.Kind)];
}

/// <summary>Counts the Blazor circuits open on this node.</summary>
internal sealed class CircuitCounter(NodeMetrics metrics) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        metrics.CircuitOpened();
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        metrics.CircuitClosed();
        return Task.CompletedTask;
    }
}
