using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Classification;
using CrisisDesk.Core.Ingest.Formats;

namespace CrisisDesk.Training;

/// <summary>One labelled tweet of CrisisLexT26.</summary>
/// <param name="Informativeness">Null for "Not applicable".</param>
/// <param name="Type">Null for "Not labeled" and "Not applicable".</param>
/// <param name="Source">CrisisLexT26's information source as labelled ("Media", "Outsiders", ..., "Not labeled").</param>
public sealed record LabelledPost(string Id, string Text, Informativeness? Informativeness, InformationType? Type, string Source = "Not labeled");

/// <summary>One CrisisLexT26 event: its tweets and what kind of event it was (from its event_description.json).</summary>
public sealed record CrisisEvent(string Name, string Category, string Kind, string Country, IReadOnlyList<LabelledPost> Posts);

public static class CrisisLexData
{
    /// <summary>Reads every <c>*-tweets_labeled.csv</c> in <paramref name="directory"/>, in name order.</summary>
    public static List<CrisisEvent> Load(string directory)
    {
        var events = new List<CrisisEvent>();
        foreach (var file in Directory.GetFiles(directory, "*-tweets_labeled.csv").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file)[..^"-tweets_labeled.csv".Length];
            var bytes = File.ReadAllBytes(file);
            var posts = new List<LabelledPost>();
            var first = true;
            foreach (var (start, length) in Csv.SplitRecords(bytes))
            {
                var record = Encoding.UTF8.GetString(bytes, start, length);
                if (first)
                {
                    first = false;
                    if (record.StartsWith("Tweet ID", StringComparison.Ordinal))
                        continue;
                }
                var fields = Csv.ParseRecord(record, out var error)
                    ?? throw new InvalidDataException($"{Path.GetFileName(file)}: {error} in {record}");
                if (fields.Count != 5)
                    throw new InvalidDataException($"{Path.GetFileName(file)}: {fields.Count} fields in {record}");
                posts.Add(new LabelledPost(fields[0].Trim(), fields[1], CrisisLexLabels.ParseInformativeness(fields[4]), CrisisLexLabels.ParseInformationType(fields[3]),
                    fields[2].Trim()));
            }
            var (category, kind, country) = Describe(Path.Combine(directory, name + "-event_description.json"));
            events.Add(new CrisisEvent(name, category, kind, country, posts));
        }
        if (events.Count == 0)
            throw new InvalidDataException($"No CrisisLexT26 files (*-tweets_labeled.csv) in {directory}.");
        return events;
    }

    private static (string Category, string Kind, string Country) Describe(string path)
    {
        if (!File.Exists(path))
            return ("?", "?", "?");
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var c = json.RootElement.GetProperty("categorization");
        var location = json.RootElement.GetProperty("location");
        return (c.GetProperty("category").GetString() ?? "?", c.GetProperty("type").GetString() ?? "?", location.GetProperty("country").GetString() ?? "?");
    }
}
