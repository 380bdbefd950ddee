using CrisisDesk.Data.Events;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Audit;
using Dapper;
using Npgsql;

namespace CrisisDesk.IntegrationTests.Review;

/// <summary>
/// Tampers with the events table as a database superuser could (append-only trigger switched off) and proves that
/// verification names the first altered, inserted or missing event. Each test has a database of its own.
/// </summary>
public sealed class AuditChainTamperTests : IAsyncLifetime
{
    private TestDatabase _database = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateMigratedAsync();
        for (var i = 1; i <= 10; i++)
            await EventLog.AppendOutsideContractAsync(_database.DataSource, $"operator{i % 3}", "rumour.status-changed", null, new { rumourId = i, from = "open", to = "monitoring" });
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private async Task TamperAsync(string sql, object? parameters = null)
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("ALTER TABLE events DISABLE TRIGGER events_no_update", null);
        await connection.ExecuteAsync(sql, parameters);
        await connection.ExecuteAsync("ALTER TABLE events ENABLE TRIGGER events_no_update", null);
    }

    private async Task<(byte[] Previous, byte[] Hash, DateTimeOffset At)> RowAsync(long seq)
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<(byte[] Prev, byte[] Hash, DateTime At)>("SELECT prev_hash, hash, at FROM events WHERE seq = @seq", new { seq });
        return (row.Prev, row.Hash, new DateTimeOffset(DateTime.SpecifyKind(row.At, DateTimeKind.Utc)));
    }

    [Fact]
    public async Task An_untouched_log_holds_and_reports_its_head()
    {
        var result = await EventLog.VerifyChainAsync(_database.DataSource);

        Assert.True(result.Holds);
        Assert.Equal(10, result.Linked);
        Assert.Equal(10, result.HeadSeq);
        Assert.Equal(64, result.HeadHashHex.Length);
    }

    [Fact]
    public async Task An_edited_payload_is_named_as_altered()
    {
        await TamperAsync("UPDATE events SET payload = '{\"rumourId\":4,\"from\":\"open\",\"to\":\"debunked\"}' WHERE seq = 4");

        var broken = (await EventLog.VerifyChainAsync(_database.DataSource)).Break;

        Assert.Equal(new ChainBreak(4, broken!.Problem, ChainBreakKind.Altered), broken);
    }

    [Fact]
    public async Task An_edit_whose_hash_was_recomputed_is_still_named_as_altered()
    {
        var (previous, _, at) = await RowAsync(6);
        const string payload = "{\"to\": \"debunked\", \"from\": \"open\", \"rumourId\": 6}";
        await using (var connection = await _database.DataSource.OpenConnectionAsync())
        {
            var canonical = await connection.ExecuteScalarAsync<string>("SELECT @p::jsonb::text", new { p = payload });
            var forged = EventLog.Hash(previous, 6, at, "operator0", "rumour.status-changed", null, canonical!);
            await TamperAsync("UPDATE events SET payload = @payload::jsonb, hash = @forged WHERE seq = 6", new { payload, forged });
        }

        var broken = (await EventLog.VerifyChainAsync(_database.DataSource)).Break;

        Assert.NotNull(broken);
        Assert.Equal(ChainBreakKind.Altered, broken.Kind);
        Assert.Equal(6, broken.Seq);
    }

    [Theory]
    [InlineData("DELETE FROM events WHERE seq = 5", 5)] // one event deleted
    [InlineData("DELETE FROM events WHERE seq = 3; UPDATE events SET seq = -(seq - 1) WHERE seq > 3; UPDATE events SET seq = -seq WHERE seq < 0; UPDATE event_chain_head SET last_seq = 9", 3)] // hidden by renumbering the rest
    [InlineData("DELETE FROM events WHERE seq >= 9", 9)] // the latest events deleted
    public async Task A_deleted_event_is_named_as_missing(string tamper, long missingSeq)
    {
        await TamperAsync(tamper);

        var broken = (await EventLog.VerifyChainAsync(_database.DataSource)).Break;

        Assert.Equal(ChainBreakKind.Missing, broken!.Kind);
        Assert.Equal(missingSeq, broken.Seq);
    }

    [Fact]
    public async Task An_event_added_after_the_head_is_named_as_inserted()
    {
        var (_, last, at) = await RowAsync(10);
        var forged = EventLog.Hash(last, 11, at.AddSeconds(1), "intruder", "alert.approved", null, "{}");
        await TamperAsync("INSERT INTO events (seq, at, actor, action, payload, prev_hash, hash) VALUES (11, @at, 'intruder', 'alert.approved', '{}', @last, @forged)",
            new { at = at.AddSeconds(1), last, forged });

        var broken = (await EventLog.VerifyChainAsync(_database.DataSource)).Break;

        Assert.Equal(ChainBreakKind.Inserted, broken!.Kind);
        Assert.Equal(11, broken.Seq);
    }

    [Fact]
    public async Task An_event_slipped_into_the_middle_with_a_valid_hash_is_named_as_inserted()
    {
        // Make room after event 7 by renumbering 8..10 to 9..11, then write a well-formed event 8 linked to 7.
        var (_, hash7, at7) = await RowAsync(7);
        var forged = EventLog.Hash(hash7, 8, at7, "intruder", "rebuttal.approved", null, "{}");
        await TamperAsync("""
            UPDATE events SET seq = -(seq + 1) WHERE seq > 7; UPDATE events SET seq = -seq WHERE seq < 0;
            INSERT INTO events (seq, at, actor, action, payload, prev_hash, hash) VALUES (8, @at7, 'intruder', 'rebuttal.approved', '{}', @hash7, @forged);
            UPDATE event_chain_head SET last_seq = 11;
            """, new { at7, hash7, forged });

        var broken = (await EventLog.VerifyChainAsync(_database.DataSource)).Break;

        Assert.Equal(ChainBreakKind.Inserted, broken!.Kind);
        Assert.Equal(8, broken.Seq);
    }

    [Fact]
    public async Task An_event_slipped_into_the_middle_with_a_made_up_hash_is_named_as_inserted()
    {
        var (_, hash4, at4) = await RowAsync(4);
        await TamperAsync("""
            UPDATE events SET seq = -(seq + 1) WHERE seq > 4; UPDATE events SET seq = -seq WHERE seq < 0;
            INSERT INTO events (seq, at, actor, action, payload, prev_hash, hash) VALUES (5, @at4, 'intruder', 'alert.published', '{}', @hash4, '\x00ff'::bytea);
            UPDATE event_chain_head SET last_seq = 11;
            """, new { at4, hash4 });

        var broken = (await EventLog.VerifyChainAsync(_database.DataSource)).Break;

        Assert.Equal(ChainBreakKind.Inserted, broken!.Kind);
        Assert.Equal(5, broken.Seq);
    }

    [Fact]
    public async Task The_command_line_exits_zero_on_an_intact_log_one_on_a_tampered_one_and_records_each_run()
    {
        var args = new[] { "verify", $"--ConnectionStrings:CrisisDesk={_database.ConnectionString}" };

        var intact = await AuditCommand.RunAsync(args);
        await TamperAsync("UPDATE events SET actor = 'someone-else' WHERE seq = 2");
        var tampered = await AuditCommand.RunAsync(args);

        Assert.Equal(0, intact);
        Assert.Equal(1, tampered);
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        var runs = (await connection.QueryAsync<(bool Holds, string? Kind, long? Seq)>(
            "SELECT (payload->>'holds')::boolean, payload->>'breakKind', (payload->>'breakSeq')::bigint FROM events WHERE action = 'audit.verified' ORDER BY seq")).ToList();
        Assert.Equal([(true, null, null), (false, "altered", 2L)], runs);
    }

    [Fact]
    public async Task The_command_line_refuses_unknown_sub_commands()
    {
        Assert.Equal(2, await AuditCommand.RunAsync(["check"]));
    }
}
