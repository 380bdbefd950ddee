using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.Rebuttals;
using CrisisDesk.Web.Features.Startup;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Web.Features.RecipientLists;

/// <summary>A list the person may publish to, for the pickers on the alert and rebuttal pages.</summary>
public sealed record ListChoice(int Id, string Name, string Kind, int Recipients)
{
    public string Channel => ListDeliveries.ChannelOf(Kind);
}

/// <summary>How far one list delivery has got: recipients sent, failed (with who and why), and in all.</summary>
public sealed record ListProgress(long DeliveryId, string ListName, int Total, int Sent, int Failed, IReadOnlyList<string> FailedRecipients);

/// <summary>A list delivery queued: its outbox row and the channel it goes out on.</summary>
public sealed record QueuedListDelivery(long Id, string Channel);

/// <summary>
/// Deliveries to recipient lists: one outbox row per (alert or rebuttal, list), with the list copied into
/// <c>delivery_recipients</c> in the same transaction as the approval or publication that asks for it.
/// </summary>
public static class ListDeliveries
{
    public static string ChannelOf(string kind) => kind == RecipientListKinds.Sms ? ChannelNames.SmsList : ChannelNames.EmailList;

    /// <summary>Queues one delivery per list inside the caller's transaction (its DbContext); refuses a deleted, unknown or empty list.</summary>
    public static async Task<IReadOnlyList<QueuedListDelivery>> EnqueueAsync(CrisisDeskDbContext db,
        int incidentId, int? alertId, int? rebuttalId, IEnumerable<int> listIds, CancellationToken cancellationToken)
    {
        var queued = new List<QueuedListDelivery>();
        foreach (var listId in listIds.Distinct())
        {
            // Locked FOR SHARE: an Admin's delete or edit of the list waits until this transaction has copied it.
            var list = await RecipientListLocks.ForCopyAsync(db, listId, cancellationToken)
                ?? throw new RecipientListException($"There is no recipient list {listId}.");
            var delivery = new DeliveryRow
            {
                IncidentId = incidentId, AlertId = alertId, RebuttalId = rebuttalId, Channel = ChannelOf(list.Kind),
                IdempotencyKey = Guid.NewGuid(), RecipientListId = listId,
            };
            db.Deliveries.Add(delivery);
            await db.SaveChangesAsync(cancellationToken);
            // Copied inside the database in one statement (thousands of people), never through the app.
            var copied = await ListDeliveryRecipients.CopyListAsync(db, delivery.Id, listId, cancellationToken);
            if (copied == 0)
                throw new RecipientListException($"The {RecipientListKinds.Label(list.Kind)} list \"{list.Name}\" has nobody on it.");
            queued.Add(new QueuedListDelivery(delivery.Id, delivery.Channel));
        }
        return queued;
    }

    /// <summary>The lists queued for an earlier message of an alert thread (an Update or Cancel goes to them too).</summary>
    public static async Task<IReadOnlyList<int>> ThreadListsAsync(CrisisDeskDbContext db, int threadRootId, CancellationToken cancellationToken) =>
        await (from d in db.Deliveries
               join a in db.Alerts on d.AlertId equals a.Id
               join l in db.RecipientLists on d.RecipientListId equals l.Id
               where l.DeletedAt == null && (a.ThreadRootId ?? a.Id) == threadRootId
               select l.Id).Distinct().ToListAsync(cancellationToken);

    /// <summary>The kinds (email, sms) among <paramref name="listIds"/>.</summary>
    public static async Task<IReadOnlyList<string>> KindsAsync(CrisisDeskDbContext db, IReadOnlyCollection<int> listIds, CancellationToken cancellationToken) =>
        await db.RecipientLists.Where(l => listIds.Contains(l.Id)).Select(l => l.Kind).Distinct().ToListAsync(cancellationToken);

    public static async Task<IReadOnlyList<ListChoice>> ChoicesAsync(IDbContextFactory<CrisisDeskDbContext> contexts, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.RecipientLists.AsNoTracking()
            .Where(l => l.DeletedAt == null)
            .OrderBy(l => l.Kind).ThenBy(l => l.Name.ToLower())
            .Select(l => new ListChoice(l.Id, l.Name, l.Kind, db.ListRecipients.Count(r => r.ListId == l.Id)))
            .ToListAsync(cancellationToken);
    }
}

/// <summary>
/// Per-recipient receipts of a list delivery. A recipient is claimed (status <c>sending</c>, under a lease) before it
/// is sent and closed with its receipt straight after, each in its own short transaction: a dispatcher that dies
/// mid-list leaves everyone sent recorded, and the next dispatch goes on with the rest. Times written are the
/// database's <c>now()</c> (<c>DateTime.UtcNow</c> in an <c>ExecuteUpdate</c>), the clock the claim compares leases with.
/// </summary>
public sealed class ListReceipts(IDbContextFactory<CrisisDeskDbContext> contexts)
{
    /// <summary>The next recipient to send to, not already tried in this dispatch; null when none is left.</summary>
    /// <remarks>
    /// Several nodes may dispatch one list (a lease ran out): <see cref="ListDeliveryRecipients.ClaimNextAsync"/> skips a
    /// recipient another node is claiming, so nobody is sent to twice.
    /// </remarks>
    public async Task<ClaimedListRecipient?> ClaimNextAsync(long deliveryId, TimeSpan lease, IReadOnlyCollection<int> triedNow, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await ListDeliveryRecipients.ClaimNextAsync(db, deliveryId, lease, triedNow, cancellationToken);
    }

    public async Task SentAsync(ClaimedListRecipient recipient, string receipt, CancellationToken cancellationToken)
    {
        // Not cancellable: the message went; losing its receipt now would send it again.
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        await db.DeliveryRecipients.Where(r => r.DeliveryId == recipient.DeliveryId && r.Position == recipient.Position).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, "sent")
            .SetProperty(r => r.Receipt, receipt)
            .SetProperty(r => r.SentAt, r => DateTime.UtcNow)
            .SetProperty(r => r.LeaseUntil, (DateTime?)null)
            .SetProperty(r => r.LastError, (string?)null), CancellationToken.None);
        _ = cancellationToken;
    }

    /// <summary>Refused for good (<paramref name="permanent"/>) or to be tried again by the next dispatch.</summary>
    public async Task NotSentAsync(ClaimedListRecipient recipient, string error, bool permanent, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        await db.DeliveryRecipients.Where(r => r.DeliveryId == recipient.DeliveryId && r.Position == recipient.Position).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, permanent ? "failed" : "pending")
            .SetProperty(r => r.LastError, error)
            .SetProperty(r => r.LeaseUntil, (DateTime?)null), CancellationToken.None);
        _ = cancellationToken;
    }

    public async Task<ListProgress> ProgressAsync(long deliveryId, CancellationToken cancellationToken = default) =>
        (await ProgressAsync([deliveryId], cancellationToken)).GetValueOrDefault(deliveryId) ?? new ListProgress(deliveryId, "", 0, 0, 0, []);

    /// <summary>Progress of several list deliveries at once (the delivery status panel).</summary>
    public async Task<IReadOnlyDictionary<long, ListProgress>> ProgressAsync(IReadOnlyCollection<long> deliveryIds, CancellationToken cancellationToken = default)
    {
        if (deliveryIds.Count == 0)
            return new Dictionary<long, ListProgress>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // One pass over the deliveries' recipients, grouped; a delivery with none still comes back (with 0 of 0).
        var counts = db.DeliveryRecipients
            .Where(r => deliveryIds.Contains(r.DeliveryId))
            .GroupBy(r => r.DeliveryId)
            .Select(g => new { DeliveryId = g.Key, Total = g.Count(), Sent = g.Count(r => r.Status == "sent"), Failed = g.Count(r => r.Status == "failed") });
        var rows = await (from d in db.Deliveries.AsNoTracking()
                          where deliveryIds.Contains(d.Id)
                          join l in db.RecipientLists on d.RecipientListId equals l.Id into lists
                          from l in lists.DefaultIfEmpty()
                          join c in counts on d.Id equals c.DeliveryId into tallies
                          from c in tallies.DefaultIfEmpty()
                          select new
                          {
                              DeliveryId = d.Id,
                              ListName = l == null ? "" : l.Name,
                              Total = c == null ? 0 : c.Total,
                              Sent = c == null ? 0 : c.Sent,
                              Failed = c == null ? 0 : c.Failed,
                          }).ToListAsync(cancellationToken);
        var failed = (await db.DeliveryRecipients.AsNoTracking()
            .Where(r => deliveryIds.Contains(r.DeliveryId) && r.Status == "failed")
            .OrderBy(r => r.DeliveryId).ThenBy(r => r.Position)
            .Select(r => new { r.DeliveryId, r.Address, r.LastError })
            .ToListAsync(cancellationToken)).ToLookup(f => f.DeliveryId);
        return rows.ToDictionary(r => r.DeliveryId, r => new ListProgress(r.DeliveryId, r.ListName, r.Total, r.Sent, r.Failed,
            [.. failed[r.DeliveryId].Select(f => $"{f.Address}: {f.LastError}")]));
    }
}

/// <summary>What an alert or rebuttal says on a list: a subject and body for email, a fitted text for SMS.</summary>
public sealed record ListMessage(string Subject, string EmailBody, string SmsText);

/// <summary>Builds the message a list delivery sends, from the alert's CAP or the rebuttal's approved texts.</summary>
public sealed class ListMessages(IDbContextFactory<CrisisDeskDbContext> contexts, PublicUrl publicUrl)
{
    public async Task<ListMessage> ForAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        if (work.CapXml is { } xml)
            return ForAlert(CapXml.Read(xml), CapAtomFeed.AlertUrl(publicUrl.Base, work.AlertIdentifier ?? ""));
        if (work.RebuttalId is not { } rebuttalId)
            throw new PermanentDeliveryException($"{ChannelNames.Label(work.Channel)} sends alerts and rebuttals only; this delivery carries neither");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // The rebuttal's title, the texts of its current version and whether its incident is a drill, in one query.
        var row = await (from r in db.Rebuttals.AsNoTracking()
                         join v in db.RebuttalVersions on new { RebuttalId = r.Id, r.Version } equals new { v.RebuttalId, v.Version }
                         join i in db.Incidents on r.IncidentId equals i.Id
                         where r.Id == rebuttalId
                         select new { r.Title, v.Variants, i.IsDrill }).SingleOrDefaultAsync(cancellationToken)
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
