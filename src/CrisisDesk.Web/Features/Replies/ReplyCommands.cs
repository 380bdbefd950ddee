using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Publishing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.Replies;

/// <summary>A reply as people see it, with its delivery's state and the platform's id for it once sent.</summary>
public sealed record ReplyView(int Id, int IncidentId, long PostId, int? EnquiryId, string Platform, string Text, int? RebuttalId, string State,
    string Author, string? Approver, string? DecisionComment, DateTime CreatedAt, DateTime? SentAt, long? DeliveryId, string? DeliveryStatus,
    string? Receipt, string? LastError)
{
    public const string AwaitingApproval = "awaiting-approval";
    public const string Rejected = "rejected";
    public const string Sent = "sent";
}

/// <summary>What a new reply became: sent to the outbox at once, or waiting for an approver.</summary>
public sealed record ReplyOutcome(int ReplyId, string State, long? DeliveryId);

/// <summary>An approved rebuttal whose text a reply can reuse.</summary>
public sealed record ReusableRebuttal(int Id, string Title, IReadOnlyDictionary<TextChannel, string> Variants);

/// <summary>
/// Replies in thread: drafted on a stored X, Mastodon or Bluesky post, counted as the platform counts, approved when the
/// team's rule (<c>reply_rules</c>, per platform and role) says so, then put in the transactional outbox with the
/// incident's own account, exactly once per reply (<c>deliveries.reply_id</c> is unique). Each runs through
/// <see cref="CommandRunner"/>. Rows are locked where they were before, and that lock is the concurrency rule (replies
/// and enquiries carry no xmin token): a post that is an enquiry assigned to someone else cannot be answered by
/// mistake, because the enquiry's row is read <c>FOR UPDATE</c> and checked in the same transaction; a reply approved
/// twice at once is read <c>FOR UPDATE</c>, so the second approval waits, sees it sent, and is refused.
/// </summary>
public sealed class ReplyCommands(IDbContextFactory<CrisisDeskDbContext> contexts, CommandRunner commands, NpgsqlDataSource dataSource,
    DeliverySignal signal, IncidentActivityFeed activity, TimeProvider time)
{
    private sealed record PostToAnswer(long Id, int IncidentId, string Platform, string ExternalId, string? Extra, bool IsDrill);

    public static TextChannel TextChannelOf(string platform) => platform switch
    {
        "x" => TextChannel.X,
        "mastodon" => TextChannel.Mastodon,
        "bluesky" => TextChannel.Bluesky,
        _ => throw new ReplyInputException($"A {platform} post cannot be answered in its thread."),
    };

    /// <summary>Drafts a reply to <paramref name="postId"/>; sends it at once unless the rule asks for approval (Operator).</summary>
    public async Task<ReplyOutcome> ReplyAsync(ClaimsPrincipal user, long postId, string text, int? rebuttalId = null, CancellationToken cancellationToken = default)
    {
        var actor = user.ActorName();
        var (post, outcome) = await commands.RunOnAsync(user, Policies.Operator, "reply to a post",
            (db, token) => (
                from p in db.PostReferences
                where p.Id == postId
                join i in db.Incidents on p.IncidentId equals i.Id
                select new PostToAnswer(p.Id, p.IncidentId, p.Platform, p.ExternalId, p.Extra, i.IsDrill)).SingleOrDefaultAsync(token),
            p => p.IncidentId, () => new CommandException($"There is no post {postId}.", StatusCodes.Status404NotFound),
            async (command, post) =>
            {
                var (db, token) = (command.Db, command.CancellationToken);
                if (post.IsDrill)
                    throw new ReplyStateException("This incident is a drill replaying real posts: replies are never sent to their authors.");
                var (thread, problem) = ThreadRef.Of(post.Platform, post.ExternalId, post.Extra);
                if (thread is null)
                    throw new ReplyInputException(problem!);
                text = (text ?? "").Trim();
                if (text.Length == 0)
                    throw new ReplyInputException("Write the reply.");
                var length = ChannelText.Count(TextChannelOf(post.Platform), text);
                if (!length.Fits)
                    throw new ReplyInputException($"The reply is too long for {ReplyPlatforms.Label(post.Platform)}: {length.Used} of {length.Limit} {length.Unit}.");

                if (!await db.OrgAccounts.AnyAsync(a => a.IncidentId == post.IncidentId && a.Platform == post.Platform, token))
                    throw new ReplyInputException($"This incident has no {ReplyPlatforms.Label(post.Platform)} account to reply from: an Admin adds it on the incident's Accounts page.");
                if (rebuttalId is { } rid && !await db.Rebuttals.AnyAsync(r => r.Id == rid && r.IncidentId == post.IncidentId && (r.State == "approved" || r.State == "published"), token))
                    throw new ReplyInputException("Only an approved rebuttal of this incident can be reused in a reply.");

                var enquiry = await EnquiryLocks.OfPostAsync(db, post.IncidentId, postId, token);
                if (enquiry is not null)
                {
                    if (enquiry.AssignedTo is { } owner && !string.Equals(owner, actor, StringComparison.OrdinalIgnoreCase))
                        throw new ReplyStateException($"{owner} is answering this enquiry: take it over first if you mean to answer it.");
                    if (enquiry.Status != "open")
                        throw new ReplyStateException($"This enquiry is already {StatusWord(enquiry.Status)}.");
                }
                if (await db.Replies.AnyAsync(r => r.PostId == postId && r.IncidentId == post.IncidentId && r.State == ReplyView.AwaitingApproval, token))
                    throw new ReplyStateException("A reply to this post already waits for approval: decide it first.");

                var role = await db.Users.AsNoTracking().Where(u => u.UserName.ToLower() == actor.ToLower()).Select(u => (string?)u.Role).FirstOrDefaultAsync(token);
                // No rule for the role (or no role): the reply waits for approval.
                var needsApproval = await db.ReplyRules.AsNoTracking().Where(r => r.Platform == post.Platform && r.Role == role)
                    .Select(r => (bool?)r.NeedsApproval).FirstOrDefaultAsync(token) ?? true;

                var reply = new ReplyRow
                {
                    IncidentId = post.IncidentId, PostId = postId, EnquiryId = enquiry?.Id, Platform = post.Platform, Text = text, RebuttalId = rebuttalId,
                    State = ReplyView.AwaitingApproval, Author = actor, ParentRef = thread.ToJson(),
                };
                db.Replies.Add(reply);
                await command.SaveAsync();
                var events = new List<EventPayload> { new ReplyDrafted(reply.Id, postId, post.Platform, text, needsApproval, enquiry?.Id, rebuttalId) };
                if (enquiry is { AssignedTo: null })
                {
                    // Answering an enquiry nobody holds takes it, so nobody else answers it at the same time.
                    // ExecuteUpdate so assigned_at is the database's now(), as before.
                    await db.Enquiries.Where(e => e.Id == enquiry.Id)
                        .ExecuteUpdateAsync(s => s.SetProperty(e => e.AssignedTo, actor).SetProperty(e => e.AssignedAt, e => DateTime.UtcNow), token);
                    events.Add(new EnquiryAssigned(enquiry.Id, actor, null));
                }
                long? deliveryId = needsApproval ? null : await SendAsync(db, reply, events, token);
                foreach (var payload in events)
                    await command.RecordAsync(post.IncidentId, payload);
                return new ReplyOutcome(reply.Id, deliveryId is null ? ReplyView.AwaitingApproval : ReplyView.Sent, deliveryId);
            }, cancellationToken);
        if (outcome.DeliveryId is not null)
            signal.Notify();
        Announce(post.IncidentId, outcome.DeliveryId is null ? EventActions.ReplyDrafted : EventActions.ReplySent, actor, postId,
            outcome.DeliveryId is null ? $"{actor} drafted a reply on {ReplyPlatforms.Label(post.Platform)} for approval" : $"{actor} replied on {ReplyPlatforms.Label(post.Platform)}");
        return outcome;
    }

    /// <summary>Approves a reply someone else wrote and sends it (Approver).</summary>
    public async Task<long> ApproveAsync(ClaimsPrincipal user, int replyId, string? comment, CancellationToken cancellationToken = default)
    {
        var actor = user.ActorName();
        try
        {
            var (reply, deliveryId) = await commands.RunOnAsync(user, Policies.Approver, "approve a reply",
                (db, token) => ReplyLocks.ByIdAsync(db, replyId, token), r => r.IncidentId, () => NotFound(replyId),
                async (command, reply) =>
                {
                    var (db, token) = (command.Db, command.CancellationToken);
                    if (reply.State != ReplyView.AwaitingApproval)
                        throw new ReplyStateException($"This reply is {StatusWord(reply.State)}: only a reply waiting for approval can be approved.");
                    if (string.Equals(reply.Author, actor, StringComparison.OrdinalIgnoreCase))
                        throw new TwoPersonRefusal(reply.IncidentId);
                    if (reply.EnquiryId is { } enquiryId)
                    {
                        var enquiry = await EnquiryLocks.OfPostAsync(db, reply.IncidentId, reply.PostId, token);
                        if (enquiry is { Status: not "open" })
                            throw new ReplyStateException($"Enquiry {enquiryId} is already {StatusWord(enquiry.Status)}: reject this reply instead.");
                    }
                    await db.Replies.Where(r => r.Id == replyId)
                        .ExecuteUpdateAsync(s => s.SetProperty(r => r.Approver, actor).SetProperty(r => r.DecisionComment, comment), token);
                    var events = new List<EventPayload> { new ReplyApproved(replyId, reply.Author, comment) };
                    var deliveryId = await SendAsync(db, reply, events, token);
                    foreach (var payload in events)
                        await command.RecordAsync(reply.IncidentId, payload);
                    return deliveryId;
                }, cancellationToken);
            signal.Notify();
            Announce(reply.IncidentId, EventActions.ReplySent, actor, reply.PostId, $"{actor} approved {reply.Author}'s reply on {ReplyPlatforms.Label(reply.Platform)}");
            return deliveryId;
        }
        catch (TwoPersonRefusal refusal)
        {
            // The command rolled back (the reply's lock is released); the refusal is recorded on its own.
            await EventLog.AppendAsync(dataSource, actor, refusal.IncidentId, new AuthorizationDenied("approve a reply they wrote", Rule: "two-person"), cancellationToken);
            throw new CommandException("Someone other than its author approves a reply.", StatusCodes.Status403Forbidden);
        }
    }

    /// <summary>Sends a reply back to its author with a reason (Approver).</summary>
    public async Task RejectAsync(ClaimsPrincipal user, int replyId, string comment, CancellationToken cancellationToken = default)
    {
        var actor = user.ActorName();
        var (reply, _) = await commands.RunOnAsync(user, Policies.Approver, "reject a reply",
            (db, token) => ReplyLocks.ByIdAsync(db, replyId, token), r => r.IncidentId,
            // A missing reason is reported before a missing reply, as when the reason was checked before the reply was read.
            () => string.IsNullOrWhiteSpace(comment) ? MissingReason() : NotFound(replyId),
            async (command, reply) =>
            {
                if (string.IsNullOrWhiteSpace(comment))
                    throw MissingReason();
                if (reply.State != ReplyView.AwaitingApproval)
                    throw new ReplyStateException($"This reply is {StatusWord(reply.State)}: only a reply waiting for approval can be sent back.");
                await command.Db.Replies.Where(r => r.Id == replyId).ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.State, ReplyView.Rejected)
                    .SetProperty(r => r.Approver, actor)
                    .SetProperty(r => r.DecisionComment, comment.Trim()), command.CancellationToken);
                return await command.RecordAsync(reply.IncidentId, new ReplyRejected(replyId, reply.Author, comment.Trim()));
            }, cancellationToken);
        Announce(reply.IncidentId, EventActions.ReplyRejected, actor, reply.PostId, $"{actor} sent back {reply.Author}'s reply");
    }

    /// <summary>The replies to one post, oldest first.</summary>
    public async Task<IReadOnlyList<ReplyView>> ForPostAsync(long postId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Views(db, db.Replies.Where(r => r.PostId == postId)).ToListAsync(cancellationToken);
    }

    /// <summary>The incident's replies waiting for approval, oldest first.</summary>
    public async Task<IReadOnlyList<ReplyView>> AwaitingApprovalAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Views(db, db.Replies.Where(r => r.IncidentId == incidentId && r.State == ReplyView.AwaitingApproval)).ToListAsync(cancellationToken);
    }

    /// <summary>The replies with their delivery (if sent), oldest first.</summary>
    private static IQueryable<ReplyView> Views(CrisisDeskDbContext db, IQueryable<ReplyRow> replies) =>
        from r in replies.AsNoTracking()
        from d in db.Deliveries.AsNoTracking().Where(d => d.ReplyId == r.Id).DefaultIfEmpty()
        orderby r.Id
        select new ReplyView(r.Id, r.IncidentId, r.PostId, r.EnquiryId, r.Platform, r.Text, r.RebuttalId, r.State, r.Author, r.Approver, r.DecisionComment,
            r.CreatedAt, r.SentAt, d == null ? null : d.Id, d == null ? null : d.Status, d == null ? null : d.Receipt, d == null ? null : d.LastError);

    /// <summary>The incident's approved rebuttals, whose text a reply can start from.</summary>
    public async Task<IReadOnlyList<ReusableRebuttal>> ReusableRebuttalsAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await (
            from r in db.Rebuttals
            where r.IncidentId == incidentId && (r.State == "approved" || r.State == "published")
            join v in db.RebuttalVersions on new { RebuttalId = r.Id, r.Version } equals new { v.RebuttalId, v.Version }
            orderby r.Id descending
            select new { r.Id, r.Title, v.Variants }).AsNoTracking().ToListAsync(cancellationToken);
        return rows.Select(r => new ReusableRebuttal(r.Id, r.Title, Rebuttals.RebuttalCommands.ReadVariants(r.Variants))).ToList();
    }

    /// <summary>Whether the incident can send replies on the post's platform (an account is configured).</summary>
    public async Task<bool> HasAccountAsync(int incidentId, string platform, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.OrgAccounts.AnyAsync(a => a.IncidentId == incidentId && a.Platform == platform, cancellationToken);
    }

    /// <summary>Puts the reply in the outbox and closes its enquiry as answered, in the command's transaction.</summary>
    /// <remarks>
    /// The delivery row is added as <see cref="DeliveryStore.EnqueueAsync"/> adds its rows (pending, due now, a new
    /// idempotency key, times stamped by the database) and saved at once: the event names its id. The unique
    /// <c>deliveries_reply_key</c> is the last guard that a reply goes to the outbox once. The reply's and the
    /// enquiry's times are <c>ExecuteUpdate</c>s so they are the database's <c>now()</c>, as before.
    /// </remarks>
    private static async Task<long> SendAsync(CrisisDeskDbContext db, ReplyRow reply, List<EventPayload> events, CancellationToken cancellationToken)
    {
        await db.Replies.Where(r => r.Id == reply.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, ReplyView.Sent).SetProperty(r => r.SentAt, r => DateTime.UtcNow), cancellationToken);
        var delivery = new DeliveryRow { IncidentId = reply.IncidentId, ReplyId = reply.Id, Channel = ChannelNames.ReplyChannelOf(reply.Platform), IdempotencyKey = Guid.NewGuid() };
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync(cancellationToken);
        events.Add(new ReplySent(reply.Id, reply.PostId, reply.Platform, delivery.Id, reply.EnquiryId));
        if (reply.EnquiryId is { } enquiryId && await db.Enquiries.Where(e => e.Id == enquiryId && e.Status == "open").ExecuteUpdateAsync(s => s
                .SetProperty(e => e.Status, "answered")
                .SetProperty(e => e.FirstAnsweredAt, e => e.FirstAnsweredAt ?? DateTime.UtcNow)
                .SetProperty(e => e.ClosedAt, e => DateTime.UtcNow), cancellationToken) == 1)
            events.Add(new EnquiryStatusChanged(enquiryId, "open", "answered"));
        return delivery.Id;
    }

    private static CommandException NotFound(int replyId) => new($"There is no reply {replyId}.", StatusCodes.Status404NotFound);

    private static ReplyInputException MissingReason() => new("Say why the reply goes back.");

    /// <summary>Leaves the command when the two-person rule refuses, so that the refusal is recorded after the rollback.</summary>
    private sealed class TwoPersonRefusal(int incidentId) : Exception
    {
        public int IncidentId { get; } = incidentId;
    }

    internal static string StatusWord(string status) => status switch
    {
        "open" => "open",
        "answered" => "answered",
        "no-answer-needed" => "closed as needing no answer",
        ReplyView.AwaitingApproval => "waiting for approval",
        ReplyView.Rejected => "sent back",
        ReplyView.Sent => "sent",
        _ => status,
    };

    private void Announce(int incidentId, string action, string actor, long postId, string summary) =>
        activity.Publish(new IncidentActivity(incidentId, action, actor, time.GetUtcNow(), PostIds: [postId], Summary: summary));
}
