using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Data.Posts;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using Dapper;

namespace CrisisDesk.IntegrationTests.Pipeline;

/// <summary>
/// An incident's posts commit in id order, whichever source writes them: the war room counts new posts by id range
/// and relies on every post below one it has seen being committed.
/// </summary>
public sealed class CommitOrderTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_second_source_of_the_incident_waits_for_the_first_batch_to_commit_and_another_incident_does_not()
    {
        var (incidentId, firstSource) = await database.NewIncidentAsync("Commit order");
        var secondSource = await database.NewSourceAsync(incidentId);
        var (otherIncident, otherSource) = await database.NewIncidentAsync("Another incident");

        // The first source's batch has drawn its ids and is held just before commit.
        var (slow, held, release) = WriterHeldBeforeCommit();
        var first = slow.WriteAsync(TestIncidents.Batch(incidentId, firstSource, "a", 3, T0));
        await held.Task;

        var writer = new PostWriter(database.DataSource);
        var second = writer.WriteAsync(TestIncidents.Batch(incidentId, secondSource, "b", 2, T0));
        await database.WaitForLockWaitAsync("advisory");
        Assert.False(second.IsCompleted, "the second batch of the incident committed while the first was still open");
        // Another incident's writer is not held up.
        Assert.Equal(2, (await writer.WriteAsync(TestIncidents.Batch(otherIncident, otherSource, "c", 2, T0))).Count);

        release.SetResult();
        var firstIds = (await first).Select(p => p.Id).ToList();
        var secondIds = (await second).Select(p => p.Id).ToList();
        Assert.Equal(3, firstIds.Count);
        Assert.Equal(2, secondIds.Count);
        Assert.True(firstIds.Max() < secondIds.Min(), $"ids {string.Join(',', firstIds)} then {string.Join(',', secondIds)}");
    }

    [Fact]
    public async Task A_deletion_that_arrives_while_another_source_is_storing_the_post_applies_once_it_is_stored()
    {
        var (incidentId, hashtagStream) = await database.NewIncidentAsync("Deletion race");
        var publicStream = await database.NewSourceAsync(incidentId);

        var (slow, held, release) = WriterHeldBeforeCommit();
        var insert = slow.WriteBatchAsync(new PostBatch(incidentId, hashtagStream, [MastodonPosts.Original("m1", "Evacuate the valley", T0)], [], null, null));
        await held.Task;

        var deletion = new PostWriter(database.DataSource).WriteBatchAsync(
            new PostBatch(incidentId, publicStream, [StreamPostMarkers.Deletion("mastodon", "m1", T0.AddMinutes(1))], [], null, null));
        await database.WaitForLockWaitAsync("advisory");
        release.SetResult();
        await insert;
        var applied = await deletion;

        Assert.Equal((1, 0), (applied.DeletionsApplied, applied.DeletionsUnmatched));
        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.NotNull(await connection.ExecuteScalarAsync<DateTime?>(
            "SELECT deleted_at FROM posts WHERE incident_id = @incidentId AND external_id = 'm1'", new { incidentId }));
    }

    /// <summary>A writer whose first batch stops just before commit (<c>held</c>) until <c>release</c> is set.</summary>
    private (PostWriter Writer, TaskCompletionSource Held, TaskCompletionSource Release) WriterHeldBeforeCommit()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new PostWriter(database.DataSource) { BeforeCommit = async _ => { held.TrySetResult(); await release.Task; } };
        return (writer, held, release);
    }
}
