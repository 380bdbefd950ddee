using System.Text.Json;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Ingest.Pipeline;

namespace CrisisDesk.Ingest.Replay;

/// <summary>
/// Stored config of a replay source: a file (in the import directory, or a bundled data set by its relative path: see
/// <see cref="ReplayFiles"/>), its format, and optionally its own pace; without one, the drill pace applies.
/// </summary>
public sealed record ReplaySourceConfig(string File, string Format, double? Speed = null, double? MaxGapSeconds = null);

public sealed class ReplaySourceFactory(ReplayPace defaultPace, ReplayFiles files) : ISourceFactory
{
    public const string KindName = SourceKinds.Replay;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Kind => KindName;

    public IIngestSource Create(SourceDefinition definition, ISourceStatusReporter status)
    {
        var config = JsonSerializer.Deserialize<ReplaySourceConfig>(definition.Config, Json)
            ?? throw new FormatException("a replay source needs {\"file\": ..., \"format\": ...}");
        if (string.IsNullOrWhiteSpace(config.File) || string.IsNullOrWhiteSpace(config.Format))
            throw new FormatException("a replay source needs both \"file\" and \"format\"");
        // Checked again here, not only when the config was saved: a row written by other means gets no further.
        var path = files.Resolve(config.File);
        var pace = new ReplayPace(config.Speed ?? defaultPace.Speed, config.MaxGapSeconds is { } gap ? TimeSpan.FromSeconds(gap) : defaultPace.MaxGap);
        return ReplaySource.FromFile(path, config.Format, pace);
    }
}
