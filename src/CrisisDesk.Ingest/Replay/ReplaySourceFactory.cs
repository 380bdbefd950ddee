using System.Text.Json;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Ingest.Pipeline;

namespace CrisisDesk.Ingest.Replay;

/// <summary>
/// Stored config of a replay source: a file (absolute, or relative to the application's directory, where the bundled
/// data sets are), its format, and optionally its own pace; without one, the drill pace applies.
/// </summary>
public sealed record ReplaySourceConfig(string File, string Format, double? Speed = null, double? MaxGapSeconds = null);

public sealed class ReplaySourceFactory(ReplayPace defaultPace) : ISourceFactory
{
    public const string KindName = "replay";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Kind => KindName;

    public IIngestSource Create(SourceDefinition definition, ISourceStatusReporter status)
    {
        var config = JsonSerializer.Deserialize<ReplaySourceConfig>(definition.Config, Json)
            ?? throw new FormatException("a replay source needs {\"file\": ..., \"format\": ...}");
        if (string.IsNullOrWhiteSpace(config.File) || string.IsNullOrWhiteSpace(config.Format))
            throw new FormatException("a replay source needs both \"file\" and \"format\"");
        var path = Path.IsPathRooted(config.File) ? config.File : Path.Combine(AppContext.BaseDirectory, config.File);
        var pace = new ReplayPace(config.Speed ?? defaultPace.Speed, config.MaxGapSeconds is { } gap ? TimeSpan.FromSeconds(gap) : defaultPace.MaxGap);
        return ReplaySource.FromFile(path, config.Format, pace);
    }
}
