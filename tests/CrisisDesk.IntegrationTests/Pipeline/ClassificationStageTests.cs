using System.Text;
using CrisisDesk.Core.Classification;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Posts;
using CrisisDesk.Ingest.Classification;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Triage;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace CrisisDesk.IntegrationTests.Pipeline;

/// <summary>The classification stage in the real pipeline against a real PostgreSQL: every stored post carries its classes.</summary>
public sealed class ClassificationStageTests
{
    // Real CrisisLexT26 tweets (MIT), of several types.
    private static readonly string[] Texts =
    [
        "RT @redcross: Text REDCROSS to 90999 to donate $10 to help those affected by the floods #yycflood",
        "Evacuation order for Sunnyside and Hillhurst: leave now, avoid the river and low-lying roads #yycflood",
        "Power is out in downtown Calgary, traffic lights down on Macleod Trail",
        "Praying for everyone in Boston tonight. Stay strong <3",
        "2 dead and 30 injured after explosion at fertilizer plant in West, Texas",
        "I love this song so much omg",
    ];

    [Fact]
    public async Task Every_post_the_pipeline_stores_carries_the_classifiers_reading_of_its_text()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        var (incidentId, sourceId) = await CreateSourceAsync(database);
        var stage = new PostClassificationStage(ClassificationModel.Bundled);
        var feed = new LiveFeed();
        var delivered = new System.Collections.Concurrent.ConcurrentBag<StoredPost>();
        var all = new TaskCompletionSource();
        using var subscription = feed.Subscribe(incidentId, update =>
        {
            foreach (var post in update.Posts)
                delivered.Add(post);
            if (delivered.Count >= Texts.Length)
                all.TrySetResult();
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(10));
        var monitor = new SourceMonitor();
        monitor.Register(new SourceStatus(sourceId, incidentId, "test", "test", SourceState.Starting, null, null, 0, 0, null, DateTimeOffset.UtcNow));
        var pipeline = new IngestPipeline(new PostWriter(database.DataSource), feed, monitor, new IngestPipelineOptions { MaxBatchSize = 4, ChannelCapacity = 16 },
            PostFormats.Default, NullLogger<IngestPipeline>.Instance, classification: stage);

        var items = Texts.Select((text, i) => Line(MakePost(i, text), i + 1)).ToList();
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None);
        await all.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var expected = ClassificationModel.Bundled.CreateClassifier();
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(string Text, short? Informativeness, short? Type, float? Sentiment)>(
            "SELECT text, informativeness, information_type, sentiment FROM posts WHERE incident_id = @incidentId ORDER BY external_id", new { incidentId })).ToList();
        Assert.Equal(Texts.Length, rows.Count);
        foreach (var row in rows)
        {
            var reading = expected.Classify(row.Text);
            Assert.Equal((short)reading.Informativeness, row.Informativeness);
            Assert.Equal((short)reading.InformationType, row.Type);
            Assert.Equal(reading.Sentiment, row.Sentiment);
        }
        // The live feed carries the same reading, so a war room shows it without reading the post again.
        Assert.All(delivered, post => Assert.Equal(expected.Classify(post.Post.Text), post.Classification));
        Assert.Contains(rows, r => r.Sentiment < 0);
        Assert.Contains(rows, r => r.Sentiment > 0);
    }

    [Fact]
    public async Task Posts_written_without_the_stage_are_stored_unclassified()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        var (incidentId, sourceId) = await CreateSourceAsync(database);
        var stored = await new PostWriter(database.DataSource).WriteAsync(new PostBatch(incidentId, sourceId, [MakePost(1, Texts[0])], [], null, null));

        Assert.Null(Assert.Single(stored).Classification);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM posts WHERE information_type IS NOT NULL OR informativeness IS NOT NULL OR sentiment IS NOT NULL"));
    }

    [Fact]
    public async Task The_feed_filters_by_type_and_informativeness()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        var (incidentId, sourceId) = await CreateSourceAsync(database);
        PostClassification?[] classes =
        [
            new(Informativeness.RelatedInformative, InformationType.CautionAndAdvice, -0.3f),
            new(Informativeness.RelatedInformative, InformationType.DonationsAndVolunteering, 0.6f),
            new(Informativeness.RelatedNotInformative, InformationType.SympathyAndSupport, 0.8f),
            new(Informativeness.NotRelated, InformationType.OtherUsefulInformation, 0f),
        ];
        var posts = classes.Select((_, i) => MakePost(i, Texts[i])).ToList();
        await new PostWriter(database.DataSource).WriteAsync(new PostBatch(incidentId, sourceId, posts, [], null, null) { Classifications = classes });
        var queries = new TriageQueries(database.DataSource, CrisisDeskDbContext.FactoryOver(database.DataSource));

        async Task<string[]> Ids(TriageFilter filter) =>
            (await queries.PageAsync(incidentId, filter, long.MaxValue, 0, 100)).OrderBy(p => p.Id).Select(p => p.Text).ToArray();

        Assert.Equal([Texts[0]], await Ids(new TriageFilter(Type: InformationType.CautionAndAdvice)));
        Assert.Equal([Texts[0], Texts[1], Texts[2]], await Ids(new TriageFilter(AtLeast: Informativeness.RelatedNotInformative)));
        Assert.Equal([Texts[0], Texts[1]], await Ids(new TriageFilter(AtLeast: Informativeness.RelatedInformative)));
        Assert.Empty(await Ids(new TriageFilter(Type: InformationType.SympathyAndSupport, AtLeast: Informativeness.RelatedInformative)));
        var caution = Assert.Single(await queries.PageAsync(incidentId, new TriageFilter(Type: InformationType.CautionAndAdvice), long.MaxValue, 0, 10));
        Assert.Equal((Informativeness.RelatedInformative, InformationType.CautionAndAdvice, -0.3f), (caution.Informativeness, caution.InformationType, caution.Sentiment));
        Assert.Equal(1L, (await queries.HeadAsync(incidentId, new TriageFilter(Type: InformationType.CautionAndAdvice))).Count);
    }

    private static Post MakePost(int n, string text) => new()
    {
        Platform = "x",
        ExternalId = $"post-{n}",
        CreatedAt = new DateTimeOffset(2013, 6, 21, 12, 0, 0, TimeSpan.Zero).AddSeconds(n),
        Text = text,
    };

    private static RawItem Line(Post post, int position) =>
        new(PostJsonLinesFormat.Name, Encoding.UTF8.GetBytes(PostJsonLinesFormat.ToLine(post)), position.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static async Task<(int IncidentId, int SourceId)> CreateSourceAsync(TestDatabase database)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Classification test') RETURNING id");
        var sourceId = await connection.ExecuteScalarAsync<int>("INSERT INTO sources (incident_id, kind, name) VALUES (@incidentId, 'test', 'test') RETURNING id", new { incidentId });
        return (incidentId, sourceId);
    }
}
