using System.Text.Json;

namespace CrisisDesk.UnitTests.Stories;

/// <summary>The labelled sample of real posts in Fixtures/Stories (see the README there for how it was labelled).</summary>
internal static class StoryFixture
{
    public static IReadOnlyList<Post> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Stories", "stories-sample.jsonl");
        var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        return File.ReadLines(path)
            .Where(line => line.Length > 0)
            .Select(line => JsonSerializer.Deserialize<Post>(line, options) ?? throw new InvalidDataException($"Bad fixture line: {line}"))
            .ToList();
    }

    internal sealed record Post(string Id, string Dataset, string Event, DateTimeOffset CreatedAt, string Text, string? Group, bool Evaluated);
}
