using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace CrisisDesk.Data.Events;

/// <summary>One recorded operator action.</summary>
public sealed record EventRecord(long Seq, DateTimeOffset At, string Actor, string Action, int? IncidentId, string PayloadJson);

/// <summary>The first place the chain does not hold, or null when every event links.</summary>
public sealed record ChainBreak(long Seq, string Problem);

/// <summary>
/// The append-only, hash-chained event log. Appends run inside the caller's transaction, so an event exists exactly
/// when the change it records does. The chain head row is locked per append: appends are serialised and gap-free.
/// </summary>
public static class EventLog
{
    private static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    /// <summary>Appends an event in <paramref name="transaction"/> and returns its sequence number.</summary>
    public static async Task<long> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string actor, string action, int? incidentId, object? payload, CancellationToken cancellationToken = default)
    {
        var json = JsonSerializer.Serialize(payload ?? new { }, PayloadJson);
        long lastSeq;
        byte[] lastHash;
        string canonicalPayload;
        // jsonb's text form is canonical (key order, spacing), so the hash covers exactly what a verifier reads back.
        await using (var head = new NpgsqlCommand("SELECT last_seq, last_hash, $1::jsonb::text FROM event_chain_head FOR UPDATE", connection, transaction)
        {
            Parameters = { new() { Value = json, NpgsqlDbType = NpgsqlDbType.Text } },
        })
        await using (var reader = await head.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                throw new InvalidOperationException("The event chain head row is missing: the database was not migrated.");
            lastSeq = reader.GetInt64(0);
            lastHash = (byte[])reader[1];
            canonicalPayload = reader.GetString(2);
        }

        var seq = lastSeq + 1;
        var at = TruncateToMicroseconds(DateTimeOffset.UtcNow);
        var hash = Hash(lastHash, seq, at, actor, action, incidentId, canonicalPayload);
        await using var insert = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("INSERT INTO events (seq, at, actor, action, incident_id, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)")
                {
                    Parameters =
                    {
                        new() { Value = seq },
                        new() { Value = at },
                        new() { Value = actor },
                        new() { Value = action },
                        new() { Value = (object?)incidentId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer },
                        new() { Value = canonicalPayload, NpgsqlDbType = NpgsqlDbType.Text },
                        new() { Value = lastHash },
                        new() { Value = hash },
                    },
                },
                new NpgsqlBatchCommand("UPDATE event_chain_head SET last_seq = $1, last_hash = $2")
                {
                    Parameters = { new() { Value = seq }, new() { Value = hash } },
                },
            },
        };
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return seq;
    }

    /// <summary>Appends one event in a transaction of its own (for actions that change nothing else, such as a sign-in).</summary>
    public static async Task<long> AppendAsync(NpgsqlDataSource dataSource, string actor, string action, int? incidentId, object? payload, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var seq = await AppendAsync(connection, transaction, actor, action, incidentId, payload, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return seq;
    }

    /// <summary>Walks the whole chain and returns the first event that is altered, inserted or missing, or null.</summary>
    public static async Task<ChainBreak?> VerifyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One snapshot for the rows and the head, so a concurrent append is not mistaken for tampering.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        var expectedPrevious = new byte[32];
        var expectedSeq = 1L;
        await using (var read = new NpgsqlCommand("SELECT seq, at, actor, action, incident_id, payload::text, prev_hash, hash FROM events ORDER BY seq", connection, transaction))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var seq = reader.GetInt64(0);
                if (seq != expectedSeq)
                    return new ChainBreak(expectedSeq, seq > expectedSeq ? $"event {expectedSeq} is missing (the next one is {seq})" : $"event {seq} appears twice");
                var previous = (byte[])reader[6];
                var stored = (byte[])reader[7];
                if (!previous.AsSpan().SequenceEqual(expectedPrevious))
                    return new ChainBreak(seq, $"event {seq} does not link to event {seq - 1}: an event was inserted or removed before it");
                var recomputed = Hash(previous, seq, reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.GetString(5));
                if (!recomputed.AsSpan().SequenceEqual(stored))
                    return new ChainBreak(seq, $"event {seq} was altered after it was written");
                expectedPrevious = stored;
                expectedSeq++;
            }
        }
        await using (var head = new NpgsqlCommand("SELECT last_seq, last_hash FROM event_chain_head", connection, transaction))
        await using (var reader = await head.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var lastSeq = reader.GetInt64(0);
            if (lastSeq != expectedSeq - 1 || !((byte[])reader[1]).AsSpan().SequenceEqual(expectedPrevious))
                return new ChainBreak(expectedSeq, $"the log ends at event {expectedSeq - 1} but {lastSeq} were written: the latest events are missing");
        }
        return null;
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
