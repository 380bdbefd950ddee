using Npgsql;

namespace CrisisDesk.Ingest.Pipeline;

/// <summary>Questions a connector may ask about what an incident already holds.</summary>
public sealed class StoredPostDirectory(NpgsqlDataSource dataSource)
{
    /// <summary>The distinct authors (handles; DIDs for Bluesky) of the incident's stored posts on <paramref name="platform"/>.</summary>
    public async Task<IReadOnlyCollection<string>> AuthorsAsync(int incidentId, string platform, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT DISTINCT author_handle FROM posts WHERE incident_id = $1 AND platform = $2 AND author_handle IS NOT NULL", connection)
        {
            Parameters = { new() { Value = incidentId }, new() { Value = platform } },
        };
        var authors = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            authors.Add(reader.GetString(0));
        return authors;
    }
}
