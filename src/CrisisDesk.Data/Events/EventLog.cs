using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using CrisisDesk.Core.Events;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace CrisisDesk.Data.Events;

/// <summary>One recorded operator action.</summary>
public sealed record EventRecord(long Seq, DateTimeOffset At, string Actor, string Action, int? IncidentId, string PayloadJson);

/// <summary>What is wrong at the first place the chain does not hold.</summary>
public enum ChainBreakKind
{
    /// <summary>An event's content (or its hash) differs from what was written.</summary>
    Altered,

    /// <summary>An event that the chain never contained.</summary>
    Inserted,

    /// <summary>An event that was written is gone.</summary>
    Missing,
}

/// <summary>The first place the chain does not hold, or null when every event links.</summary>
public sealed record ChainBreak(long Seq, string Problem, ChainBreakKind Kind);

/// <summary>
/// The outcome of walking the chain: how many events linked before the first break (all of them when
/// <see cref="Break"/> is null) and the head's sequence number and hash.
/// </summary>
public sealed record ChainVerification(long Linked, long HeadSeq, byte[] HeadHash, ChainBreak? Break)
{
    public bool Holds => Break is null;

    public string HeadHashHex => Convert.ToHexString(HeadHash).ToLowerInvariant();
}

/// <summary>
/// The append-only, hash-chained event log. Appends run inside the caller's transaction, so an event exists exactly
/// when the change it records does. The chain head row is locked per append: appends are serialised and gap-free.
/// </summary>
public static class EventLog
{
    /// <summary>
    /// Appends an event in <paramref name="transaction"/> and returns its sequence number. The action is the payload's
    /// (see <see cref="EventContract"/>): what is written is always one of the contract's shapes.
    /// </summary>
    public static Task<long> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string actor, int? incidentId, EventPayload payload, CancellationToken cancellationToken = default)
        => AppendCoreAsync(connection, transaction, actor, EventContract.ActionOf(payload), incidentId, EventContract.Serialize(payload), cancellationToken);

    /// <summary>
    /// Appends an event in the DbContext's open transaction, on its own connection: the domain's change and its event
    /// commit together.
    /// </summary>
    public static Task<long> AppendAsync(DbContext db, string actor, int? incidentId, EventPayload payload, CancellationToken cancellationToken = default) =>
        AppendAsync(db, actor, incidentId, [payload], cancellationToken);

    /// <summary>
    /// Appends several events of one change in order, in the DbContext's open transaction, in the two round trips one
    /// event takes; returns the last one's sequence number.
    /// </summary>
    public static Task<long> AppendAsync(DbContext db, string actor, int? incidentId, IReadOnlyList<EventPayload> payloads, CancellationToken cancellationToken = default)
    {
        var transaction = db.Database.CurrentTransaction
            ?? throw new InvalidOperationException("The event log appends inside the DbContext's transaction: begin one first.");
        return AppendCoreAsync((NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)transaction.GetDbTransaction(), actor, incidentId,
            [.. payloads.Select(p => (EventContract.ActionOf(p), EventContract.Serialize(p)))], cancellationToken);
    }

    /// <summary>
    /// Appends an event that is not in the contract: only for tests and benches that write what an older or newer
    /// version might have written (unknown actions, other payload shapes), to prove that readers cope. Never for product code.
    /// </summary>
    internal static async Task<long> AppendOutsideContractAsync(NpgsqlDataSource dataSource, string actor, string action, int? incidentId, object? payload,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var json = System.Text.Json.JsonSerializer.Serialize(payload ?? new { }, EventContract.JsonOptions);
        var seq = await AppendCoreAsync(connection, transaction, actor, action, incidentId, json, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return seq;
    }

    private static Task<long> AppendCoreAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string actor, string action, int? incidentId, string json, CancellationToken cancellationToken) =>
        AppendCoreAsync(connection, transaction, actor, incidentId, [(action, json)], cancellationToken);

    /// <summary>
    /// Appends <paramref name="events"/> in order, in two round trips whatever their number: the head locked (with each
    /// payload's canonical text), then every insert and the head's move in one batch. Returns the last one's number.
    /// </summary>
    private static async Task<long> AppendCoreAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string actor, int? incidentId, IReadOnlyList<(string Action, string Json)> events, CancellationToken cancellationToken)
    {
        long lastSeq;
        byte[] lastHash;
        var canonicalPayloads = new string[events.Count];
        // jsonb's text form is canonical (key order, spacing), so the hash covers exactly what a verifier reads back.
        var payloadColumns = string.Join(", ", events.Select((_, i) => $"${i + 1}::jsonb::text"));
        await using (var head = new NpgsqlCommand($"SELECT last_seq, last_hash, {payloadColumns} FROM event_chain_head FOR UPDATE", connection, transaction))
        {
            foreach (var (_, json) in events)
                head.Parameters.Add(new() { Value = json, NpgsqlDbType = NpgsqlDbType.Text });
            await using var reader = await head.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                throw new InvalidOperationException("The event chain head row is missing: the database was not migrated.");
            lastSeq = reader.GetInt64(0);
            lastHash = (byte[])reader[1];
            for (var i = 0; i < events.Count; i++)
                canonicalPayloads[i] = reader.GetString(2 + i);
        }

        var at = TruncateToMicroseconds(DateTimeOffset.UtcNow);
        await using var insert = new NpgsqlBatch(connection, transaction);
        for (var i = 0; i < events.Count; i++)
        {
            var seq = lastSeq + 1;
            var hash = Hash(lastHash, seq, at, actor, events[i].Action, incidentId, canonicalPayloads[i]);
            insert.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO events (seq, at, actor, action, incident_id, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)")
            {
                Parameters =
                {
                    new() { Value = seq },
                    new() { Value = at },
                    new() { Value = actor },
                    new() { Value = events[i].Action },
                    new() { Value = (object?)incidentId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer },
                    new() { Value = canonicalPayloads[i], NpgsqlDbType = NpgsqlDbType.Text },
                    new() { Value = lastHash },
                    new() { Value = hash },
                },
            });
            (lastSeq, lastHash) = (seq, hash);
        }
        insert.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE event_chain_head SET last_seq = $1, last_hash = $2")
        {
            Parameters = { new() { Value = lastSeq }, new() { Value = lastHash } },
        });
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return lastSeq;
    }

    /// <summary>Appends one event in a transaction of its own (for actions that change nothing else, such as a sign-in).</summary>
    public static async Task<long> AppendAsync(NpgsqlDataSource dataSource, string actor, int? incidentId, EventPayload payload, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var seq = await AppendAsync(connection, transaction, actor, incidentId, payload, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return seq;
    }

    /// <summary>Walks the whole chain and returns the first event that is altered, inserted or missing, or null.</summary>
    public static async Task<ChainBreak?> VerifyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default) =>
        (await VerifyChainAsync(dataSource, cancellationToken).ConfigureAwait(false)).Break;

    /// <summary>
    /// Walks the whole chain in one snapshot and says how many events link and, when one does not, which was altered,
    /// inserted or is missing. The head hash it returns can be noted outside the database to anchor the chain.
    /// </summary>
    public static async Task<ChainVerification> VerifyChainAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One snapshot for the rows and the head, so a concurrent append is not mistaken for tampering.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        long headSeq;
        byte[] headHash;
        await using (var head = new NpgsqlCommand("SELECT last_seq, last_hash FROM event_chain_head", connection, transaction))
        await using (var reader = await head.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return new ChainVerification(0, 0, [], new ChainBreak(1, "the event chain head row is missing", ChainBreakKind.Missing));
            headSeq = reader.GetInt64(0);
            headHash = (byte[])reader[1];
        }

        await using var read = new NpgsqlCommand("SELECT seq, at, actor, action, incident_id, payload::text, prev_hash, hash FROM events ORDER BY seq", connection, transaction);
        await using var rows = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        async Task<ChainRow?> NextAsync() => await rows.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new ChainRow(rows.GetInt64(0), rows.GetFieldValue<DateTimeOffset>(1), rows.GetString(2), rows.GetString(3),
                rows.IsDBNull(4) ? null : rows.GetInt32(4), rows.GetString(5), (byte[])rows[6], (byte[])rows[7])
            : null;

        var walk = new ChainWalk(headSeq);
        var current = await NextAsync().ConfigureAwait(false);
        while (current is not null)
        {
            // One row of look-ahead: a row that fails its own hash but is skipped by the next row's link was inserted.
            var next = await NextAsync().ConfigureAwait(false);
            if (walk.Check(current, next) is { } problem)
                return new ChainVerification(walk.Linked, headSeq, headHash, problem);
            current = next;
        }
        return new ChainVerification(walk.Linked, headSeq, headHash, walk.CheckEnd(headSeq, headHash));
    }

    /// <summary>The first-break search over rows in seq order; each check needs only recent hashes.</summary>
    private sealed class ChainWalk(long headSeq)
    {
        // Hashes of the last rows that linked, to recognise a row that links past inserted rows.
        private const int RecentWindow = 4096;
        private readonly Dictionary<string, long> _recent = new(StringComparer.Ordinal);
        private readonly Queue<string> _recentOrder = new();
        private byte[] _expectedPrevious = new byte[32];
        private long _expectedSeq = 1;

        public long Linked { get; private set; }

        public ChainBreak? Check(ChainRow row, ChainRow? next)
        {
            if (row.Seq > headSeq)
                return new ChainBreak(row.Seq, $"event {row.Seq} was inserted: the chain head says {headSeq} events were written", ChainBreakKind.Inserted);
            if (row.Seq != _expectedSeq)
                return new ChainBreak(_expectedSeq, $"event {_expectedSeq} is missing (the next one is {row.Seq})", ChainBreakKind.Missing);
            var intact = row.HashesTo(row.Seq);
            if (!row.Previous.AsSpan().SequenceEqual(_expectedPrevious))
            {
                if (_recent.TryGetValue(Convert.ToHexString(row.Previous), out var linkedTo))
                    return new ChainBreak(linkedTo + 1, $"event {linkedTo + 1} was inserted: event {row.Seq} links to event {linkedTo}", ChainBreakKind.Inserted);
                if (intact && row.Seq > 1)
                    return new ChainBreak(row.Seq - 1, $"event {row.Seq - 1} was altered after it was written (its hash was recomputed, but event {row.Seq} still links to the original)", ChainBreakKind.Altered);
                if (!intact && LinksPast(next))
                    return new ChainBreak(row.Seq, $"event {row.Seq} was inserted: event {next!.Seq} links past it to event {row.Seq - 1}", ChainBreakKind.Inserted);
                if (WrittenAs(row) is { } original)
                    return new ChainBreak(row.Seq, $"event {row.Seq} is missing: the event now numbered {row.Seq} was written as {original}", ChainBreakKind.Missing);
                return new ChainBreak(row.Seq, $"event {row.Seq} does not link to event {row.Seq - 1}: it was altered after it was written", ChainBreakKind.Altered);
            }
            if (!intact)
            {
                if (WrittenAs(row) is { } original)
                    return new ChainBreak(row.Seq, $"event {row.Seq} is missing: the event now numbered {row.Seq} was written as {original}", ChainBreakKind.Missing);
                if (LinksPast(next))
                    return new ChainBreak(row.Seq, $"event {row.Seq} was inserted: event {next!.Seq} links past it to event {row.Seq - 1}", ChainBreakKind.Inserted);
                return new ChainBreak(row.Seq, $"event {row.Seq} was altered after it was written", ChainBreakKind.Altered);
            }
            Remember(row.Stored, row.Seq);
            _expectedPrevious = row.Stored;
            _expectedSeq++;
            Linked++;
            return null;
        }

        public ChainBreak? CheckEnd(long lastSeq, byte[] lastHash)
        {
            if (lastSeq > _expectedSeq - 1)
                return new ChainBreak(_expectedSeq, $"the log ends at event {_expectedSeq - 1} but {lastSeq} were written: the latest events are missing", ChainBreakKind.Missing);
            if (!lastHash.AsSpan().SequenceEqual(_expectedPrevious))
                return new ChainBreak(lastSeq, $"event {lastSeq} was altered after it was written (the chain head holds its original hash)", ChainBreakKind.Altered);
            return null;
        }

        private bool LinksPast(ChainRow? next) => next is not null && next.Previous.AsSpan().SequenceEqual(_expectedPrevious);

        /// <summary>A row renumbered after rows before it were deleted still hashes under the number it was written with.</summary>
        private static long? WrittenAs(ChainRow row)
        {
            for (var later = row.Seq + 1; later <= row.Seq + 1000; later++)
                if (row.HashesTo(later))
                    return later;
            return null;
        }

        private void Remember(byte[] hash, long seq)
        {
            var key = Convert.ToHexString(hash);
            _recent[key] = seq;
            _recentOrder.Enqueue(key);
            if (_recentOrder.Count > RecentWindow)
                _recent.Remove(_recentOrder.Dequeue());
        }
    }

    private sealed record ChainRow(long Seq, DateTimeOffset At, string Actor, string Action, int? IncidentId, string Payload, byte[] Previous, byte[] Stored)
    {
        public bool HashesTo(long seq) => Hash(Previous, seq, At, Actor, Action, IncidentId, Payload).AsSpan().SequenceEqual(Stored);
    }

    /// <summary>SHA-256 over the previous hash and each field, length-prefixed so that no two events encode alike.</summary>
    internal static byte[] Hash(byte[] previousHash, long seq, DateTimeOffset at, string actor, string action, int? incidentId, string canonicalPayload)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        hash.AppendData(previousHash);
        BinaryPrimitives.WriteInt64BigEndian(number, seq);
        hash.AppendData(number);
        BinaryPrimitives.WriteInt64BigEndian(number, (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
        hash.AppendData(number);
        AppendText(hash, actor);
        AppendText(hash, action);
        AppendText(hash, incidentId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "");
        AppendText(hash, canonicalPayload);
        return hash.GetHashAndReset();
    }

    private static void AppendText(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }

    private static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % 10, TimeSpan.Zero);
}
