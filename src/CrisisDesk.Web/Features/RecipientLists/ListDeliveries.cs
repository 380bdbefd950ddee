using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.Rebuttals;
using CrisisDesk.Web.Features.Startup;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.RecipientLists;

/// <summary>A list the person may publish to, for the pickers on the alert and rebuttal pages.</summary>
public sealed record ListChoice(int Id, string Name, string Kind, int Recipients)
{
    public string Channel => ListDeliveries.ChannelOf(Kind);
}

/// <summary>How far one list delivery has got: recipients sent, failed (with who and why), and in all.</summary>
public sealed record ListProgress(long DeliveryId, string ListName, int Total, int Sent, int Failed, IReadOnlyList<string> FailedRecipients);

/// <summary>
/// Deliveries to recipient lists: one outbox row per (alert or rebuttal, list), with the list copied into
/// <c>delivery_recipients</c> in the same transaction as the approval or publication that asks for it.
/// </summary>
public static class ListDeliveries
{
    public static string ChannelOf(string kind) => kind == RecipientListKinds.Sms ? ChannelNames.SmsList : ChannelNames.EmailList;

    /// <summary>Queues one delivery per list inside the caller's transaction; refuses a deleted, unknown or empty list.</summary>
    public static async Task<IReadOnlyList<long>> EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        int incidentId, int? alertId, int? rebuttalId, IEnumerable<int> listIds)
    {
        var ids = new List<long>();
        foreach (var listId in listIds.Distinct())
        {
            var list = await connection.QuerySingleOrDefaultAsync<(string Name, string Kind)?>(
                "SELECT name, kind FROM recipient_lists WHERE id = @listId AND deleted_at IS NULL FOR SHARE", new { listId }, transaction)
                ?? throw new RecipientListException($"There is no recipient list {listId}.");
            var id = await connection.ExecuteScalarAsync<long>("""
                INSERT INTO deliveries (incident_id, alert_id, rebuttal_id, channel, idempotency_key, recipient_list_id)
                VALUES (@incidentId, @alertId, @rebuttalId, @channel, @key, @listId) RETURNING id
                """, new { incidentId, alertId, rebuttalId, channel = ChannelOf(list.Kind), key = Guid.NewGuid(), listId }, transaction);
            var copied = await connection.ExecuteAsync("""
                INSERT INTO delivery_recipients (delivery_id, position, name, address, idempotency_key)
                SELECT @id, row_number() OVER (ORDER BY r.id), r.name, r.address, gen_random_uuid() FROM list_recipients r WHERE r.list_id = @listId
                """, new { id, listId }, transaction);
            if (copied == 0)
                throw new RecipientListException($"The {RecipientListKinds.Label(list.Kind)} list \"{list.Name}\" has nobody on it.");
            ids.Add(id);
        }
        return ids;
    }

    /// <summary>The lists queued for an earlier message of an alert thread (an Update or Cancel goes to them too).</summary>
    public static async Task<IReadOnlyList<int>> ThreadListsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, int threadRootId) =>
        (await connection.QueryAsync<int>("""
            SELECT DISTINCT d.recipient_list_id FROM deliveries d JOIN alerts a ON a.id = d.alert_id
              JOIN recipient_lists l ON l.id = d.recipient_list_id AND l.deleted_at IS NULL
             WHERE coalesce(a.thread_root_id, a.id) = @threadRootId
            """, new { threadRootId }, transaction)).ToList();

    public static async Task<IReadOnlyList<ListChoice>> ChoicesAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ListChoice>(new CommandDefinition("""
            SELECT l.id, l.name, l.kind, (SELECT count(*)::int FROM list_recipients r WHERE r.list_id = l.id) AS Recipients
              FROM recipient_lists l WHERE l.deleted_at IS NULL ORDER BY l.kind, lower(l.name)
            """, cancellationToken: cancellationToken))).ToList();
    }
}

/// <summary>
/// Per-recipient receipts of a list delivery. A recipient is claimed (status <c>sending</c>, under a lease) before it
/// is sent and closed with its receipt straight after, each in its own short transaction: a dispatcher that dies
/// mid-list leaves everyone sent recorded, and the next dispatch goes on with the rest.
/// </summary>
public sealed class ListReceipts(NpgsqlDataSource dataSource)
{
    public sealed record Recipient(long DeliveryId, int Position, string Name, string Address, Guid IdempotencyKey, int Attempts);

    /// <summary>The next recipient to send to, not already tried in this dispatch; null when none is left.</summary>
    public async Task<Recipient?> ClaimNextAsync(long deliveryId, TimeSpan lease, IReadOnlyCollection<int> triedNow, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Recipient>(new CommandDefinition("""
            UPDATE delivery_recipients SET status = 'sending', attempts = attempts + 1, lease_until = now() + @lease
             WHERE (delivery_id, position) = (
                   SELECT delivery_id, position FROM delivery_recipients
                    WHERE delivery_id = @deliveryId AND NOT position = ANY(@triedNow)
                      AND (status IN ('pending', 'failed') OR (status = 'sending' AND lease_until < now()))
                    ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING delivery_id AS DeliveryId, position, name, address, idempotency_key AS IdempotencyKey, attempts
            """, new { deliveryId, lease, triedNow = triedNow.ToArray() }, cancellationToken: cancellationToken));
    }

    public async Task SentAsync(Recipient recipient, string receipt, CancellationToken cancellationToken)
    {
        // Not cancellable: the message went; losing its receipt now would send it again.
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE delivery_recipients SET status = 'sent', receipt = @receipt, sent_at = now(), lease_until = NULL, last_error = NULL
             WHERE delivery_id = @DeliveryId AND position = @Position
            """, new { recipient.DeliveryId, recipient.Position, receipt }, cancellationToken: CancellationToken.None));
        _ = cancellationToken;
    }

    /// <summary>Refused for good (<paramref name="permanent"/>) or to be tried again by the next dispatch.</summary>
    public async Task NotSentAsync(Recipient recipient, string error, bool permanent, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE delivery_recipients SET status = CASE WHEN @permanent THEN 'failed' ELSE 'pending' END, last_error = @error, lease_until = NULL
             WHERE delivery_id = @DeliveryId AND position = @Position
            """, new { recipient.DeliveryId, recipient.Position, error, permanent }, cancellationToken: CancellationToken.None));
        _ = cancellationToken;
    }

    public async Task<ListProgress> ProgressAsync(long deliveryId, CancellationToken cancellationToken = default) =>
        (await ProgressAsync([deliveryId], cancellationToken)).GetValueOrDefault(deliveryId) ?? new ListProgress(deliveryId, "", 0, 0, 0, []);

    /// <summary>Progress of several list deliveries at once (the delivery status panel).</summary>
    public async Task<IReadOnlyDictionary<long, ListProgress>> ProgressAsync(IReadOnlyCollection<long> deliveryIds, CancellationToken cancellationToken = default)
    {
        if (deliveryIds.Count == 0)
            return new Dictionary<long, ListProgress>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long DeliveryId, string ListName, int Total, int Sent, int Failed)>(new CommandDefinition("""
            SELECT d.id, coalesce(l.name, ''), count(r.*)::int, (count(*) FILTER (WHERE r.status = 'sent'))::int, (count(*) FILTER (WHERE r.status = 'failed'))::int
              FROM deliveries d LEFT JOIN recipient_lists l ON l.id = d.recipient_list_id LEFT JOIN delivery_recipients r ON r.delivery_id = d.id
             WHERE d.id = ANY(@ids) GROUP BY d.id, l.name
            """, new { ids = deliveryIds.ToArray() }, cancellationToken: cancellationToken));
        var failed = (await connection.QueryAsync<(long DeliveryId, string Address, string? Error)>(new CommandDefinition("""
            SELECT delivery_id, address, last_error FROM delivery_recipients WHERE delivery_id = ANY(@ids) AND status = 'failed' ORDER BY delivery_id, position
            """, new { ids = deliveryIds.ToArray() }, cancellationToken: cancellationToken))).ToLookup(f => f.DeliveryId);
        return rows.ToDictionary(r => r.DeliveryId, r => new ListProgress(r.DeliveryId, r.ListName, r.Total, r.Sent, r.Failed,
            [.. failed[r.DeliveryId].Select(f => $"{f.Address}: {f.Error}")]));
    }
}

/// <summary>What an alert or rebuttal says on a list: a subject and body for email, a fitted text for SMS.</summary>
public sealed record ListMessage(string Subject, string EmailBody, string SmsText);

/// <summary>Builds the message a list delivery sends, from the alert's CAP or the rebuttal's approved texts.</summary>
public sealed class ListMessages(NpgsqlDataSource dataSource, PublicUrl publicUrl)
{
    public async Task<ListMessage> ForAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        if (work.CapXml is { } xml)
            return ForAlert(CapXml.Read(xml), CapAtomFeed.AlertUrl(publicUrl.Base, work.AlertIdentifier ?? ""));
        if (work.RebuttalId is not { } rebuttalId)
            throw new PermanentDeliveryException($"{ChannelNames.Label(work.Channel)} sends alerts and rebuttals only; this delivery carries neither");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Title, string Variants, bool IsDrill)?>(new CommandDefinition("""
            SELECT r.title, v.variants::text, i.is_drill FROM rebuttals r JOIN rebuttal_versions v ON v.rebuttal_id = r.id AND v.version = r.version
              JOIN incidents i ON i.id = r.incident_id WHERE r.id = @rebuttalId
            """, new { rebuttalId }, cancellationToken: cancellationToken))
            ?? throw new PermanentDeliveryException($"rebuttal {rebuttalId} no longer exists");
        return ForRebuttal(row.Title, RebuttalCommands.ReadVariants(row.Variants), row.IsDrill);
    }

    /// <summary>The alert's SMS is built like its social posts (prefix, headline, short text, link), fitted to the SMS segments.</summary>
    public static ListMessage ForAlert(CapAlert alert, Uri alertUrl)
    {
        var info = alert.Infos.Count > 0 ? alert.Infos[0] : null;
        var sms = SocialText.ForAlert(alert, alertUrl, TextChannel.Sms);
        var marker = alert.Status == CapStatus.Actual ? "" : "[" + alert.Status.ToString().ToUpperInvariant() + "] ";
        var kind = alert.MsgType switch { CapMsgType.Update => "UPDATE: ", CapMsgType.Cancel => "CANCELLED: ", _ => "" };
        var subject = marker + kind + (info?.Headline ?? info?.Event ?? "Alert");
        var body = new List<string> { subject };
        if (info?.Description is { Length: > 0 } description)
            body.Add(description);
        if (info?.Instruction is { Length: > 0 } instruction)
            body.Add("What to do: " + instruction);
        if (info is not null && info.Areas.Count > 0)
            body.Add("Where: " + string.Join("; ", info.Areas.Select(a => a.AreaDesc)));
        if (info?.Expires is { } expires)
            body.Add("Until: " + CapDateTime.Format(expires));
        body.Add("The full alert: " + alertUrl.AbsoluteUri);
        return new ListMessage(subject, string.Join("\n\n", body) + "\n", sms);
    }

    /// <summary>A rebuttal's SMS is its approved SMS text (checked against the segments when it was submitted).</summary>
    public static ListMessage ForRebuttal(string title, IReadOnlyDictionary<TextChannel, string> variants, bool isDrill)
    {
        var prefix = isDrill ? SocialText.ExercisePrefix : "";
        var longest = new[] { TextChannel.Mastodon, TextChannel.Bluesky, TextChannel.X, TextChannel.Sms }
            .Select(c => variants.GetValueOrDefault(c)).FirstOrDefault(t => !string.IsNullOrWhiteSpace(t)) ?? title;
        var sms = variants.TryGetValue(TextChannel.Sms, out var text) && !string.IsNullOrWhiteSpace(text)
            ? SocialText.Fit(prefix, text, "", TextChannel.Sms)
            : "";
        return new ListMessage(prefix + title, prefix + longest + "\n", sms);
    }
}
