using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Posts;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Review;
using CrisisDesk.Web.Features.Triage;
using Dapper;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.IntegrationTests.Triage;

/// <summary>
/// Full-text search with its index written off the write path: what is stored is found at once, indexed or not, by the
/// words it shows now (after an edit) and never by erased ones.
/// </summary>
public sealed class SearchIndexTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 7, 0, 0, TimeSpan.Zero);

    private TriageQueries Queries => new(database.DataSource, CrisisDeskDbContext.FactoryOver(database.DataSource));

    private SearchIndexer Indexer => new(database.DataSource);

    [Fact]
    public async Task A_post_is_found_by_its_words_before_the_indexer_reaches_it_and_after()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Search");
        await new PostWriter(database.DataSource).WriteAsync(new PostBatch(incidentId, sourceId,
            [Post("p1", "Bridge closed at Digne"), Post("p2", "Rest centre open at the school"), Post("p3", "The bridge reopens at noon")], [], null, null));

        Assert.Equal(0, await IndexedCountAsync(incidentId));
        var before = await FoundAsync(incidentId, "bridge");
        await IndexCompletelyAsync();

        Assert.Equal(3, await IndexedCountAsync(incidentId));
        Assert.Equal(["p1", "p3"], before);
        Assert.Equal(["p1", "p3"], await FoundAsync(incidentId, "bridge"));
        Assert.Equal(["p3"], await FoundAsync(incidentId, "bridge -closed"));
        Assert.Equal(["p2"], await FoundAsync(incidentId, "\"rest centre\""));
        // Some indexed, one not yet: found alike.
        await new PostWriter(database.DataSource).WriteAsync(new PostBatch(incidentId, sourceId, [Post("p4", "Bridge traffic heavy")], [], null, null));
        Assert.Equal(["p1", "p3", "p4"], await FoundAsync(incidentId, "bridge"));
    }

    [Fact]
    public async Task A_live_update_s_posts_are_counted_by_search_alike_indexed_or_not()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Search counts");
        var writer = new PostWriter(database.DataSource);
        var first = await writer.WriteAsync(new PostBatch(incidentId, sourceId,
            [Post("c1", "Bridge closed"), Post("c2", "School open"), Post("c3", "Bridge reopens")], [], null, null));
        await IndexCompletelyAsync();
        var second = await writer.WriteAsync(new PostBatch(incidentId, sourceId, [Post("c4", "Bridge traffic heavy"), Post("c5", "Roads clear")], [], null, null));
        var filter = new TriageFilter("bridge");

        // From before the first post to the last: two indexed matches and one not yet indexed.
        Assert.Equal(3, await Queries.CountBetweenAsync(incidentId, filter, first.Min(p => p.Id) - 1, second.Max(p => p.Id)));
        Assert.Equal(1, await Queries.CountBetweenAsync(incidentId, filter, first.Max(p => p.Id), second.Max(p => p.Id)));
        Assert.Equal(1, await Queries.CountBetweenAsync(incidentId, filter, first[0].Id, first.Max(p => p.Id)));
        Assert.Equal(3, (await Queries.HeadAsync(incidentId, filter)).Count);
    }

    [Fact]
    public async Task The_indexer_works_through_each_incident_in_id_order_a_batch_at_a_time()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Search batches");
        var stored = await new PostWriter(database.DataSource).WriteAsync(TestIncidents.Batch(incidentId, sourceId, "b", 12, T0));
        var ids = stored.Select(p => p.Id).Order().ToList();

        var progress = new List<long?>();
        for (var round = 0; round < 3; round++)
        {
            await Indexer.IndexPendingAsync(batchSize: 5); // a round covers every incident behind, each its own batch
            progress.Add(await ProgressAsync(incidentId));
        }

        Assert.Equal([ids[4], ids[9], ids[11]], progress);
        Assert.Equal(12, await IndexedCountAsync(incidentId));
    }

    [Fact]
    public async Task Two_indexers_at_once_index_each_post_once()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Search twice");
        var stored = await new PostWriter(database.DataSource).WriteAsync(TestIncidents.Batch(incidentId, sourceId, "t", 40, T0));

        await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(IndexCompletelyAsync)));

        Assert.Equal(40, await IndexedCountAsync(incidentId));
        Assert.Equal(stored.Max(p => p.Id), await ProgressAsync(incidentId));
        Assert.Equal(40, (await Queries.HeadAsync(incidentId, new TriageFilter("river"))).Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_edited_post_is_found_by_its_new_words_and_not_its_replaced_ones(bool indexedBeforeTheEdit)
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Search edits");
        var writer = new PostWriter(database.DataSource);
        await writer.WriteAsync(new PostBatch(incidentId, sourceId, [MastodonPosts.Original("e1", "Bridge closed both ways", T0)], [], null, null));
        if (indexedBeforeTheEdit)
            await IndexCompletelyAsync();

        await writer.WriteAsync(new PostBatch(incidentId, sourceId, [MastodonPosts.Edit("e1", "Bridge reopened", T0, T0.AddMinutes(3))], [], null, null));
        await IndexCompletelyAsync();

        Assert.Equal(["e1"], await FoundAsync(incidentId, "reopened"));
        Assert.Empty(await FoundAsync(incidentId, "closed"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Retention_erases_the_search_document_with_the_text(bool indexedBeforeRetention)
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Search retention");
        await new PostWriter(database.DataSource).WriteAsync(new PostBatch(incidentId, sourceId, [Post("r1", "Evacuate Seyne les Alpes now")], [], null, null));
        if (indexedBeforeRetention)
            await IndexCompletelyAsync();

        await new RetentionJob(database.DataSource).ApplyAsync(postDays: 1, DateTimeOffset.UtcNow.AddDays(1).AddMinutes(1));
        await IndexCompletelyAsync();

        Assert.Empty(await FoundAsync(incidentId, "evacuate"));
        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal("", await connection.ExecuteScalarAsync<string>(
            "SELECT s.document::text FROM post_search s JOIN posts p ON p.id = s.post_id WHERE p.incident_id = @incidentId", new { incidentId }));
    }

    private async Task<List<string>> FoundAsync(int incidentId, string search)
    {
        var filter = new TriageFilter(search);
        var (count, maxId) = await Queries.HeadAsync(incidentId, filter);
        var page = await Queries.PageAsync(incidentId, filter, maxId, 0, 100);
        Assert.Equal(count, page.Count);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<string>("SELECT external_id FROM posts WHERE id = ANY(@ids) ORDER BY external_id",
            new { ids = page.Select(p => p.Id).ToArray() })).ToList();
    }

    /// <summary>Indexes whatever any test left unindexed too (the indexer serves every incident of the database).</summary>
    private async Task IndexCompletelyAsync()
    {
        while (await Indexer.IndexPendingAsync() > 0)
        {
        }
    }

    private async Task<long> IndexedCountAsync(int incidentId)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM post_search WHERE incident_id = @incidentId", new { incidentId });
    }

    private async Task<long?> ProgressAsync(int incidentId)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long?>("SELECT indexed_up_to FROM search_progress WHERE incident_id = @incidentId", new { incidentId });
    }

    private static Post Post(string id, string text) => new() { Platform = "mastodon", ExternalId = id, CreatedAt = T0, Text = text };
}
