using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Publishing;
using Dapper;
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
/// incident's own account, exactly once per reply (<c>deliveries.reply_id</c> is unique). A post that is an enquiry
/// assigned to someone else cannot be answered by mistake: its row is locked and checked in the same transaction.
/// </summary>
public sealed class ReplyCommands(NpgsqlDataSource dataSource, CommandAuthorizer authorizer, DeliverySignal signal, IncidentActivityFeed activity, TimeProvider time)
{
    private sealed record PostRow(long Id, int IncidentId, string Platform, string ExternalId, string? Extra, bool IsDrill);

    private sealed record ReplyRow(int Id, int IncidentId, long PostId, int? EnquiryId, string Platform, string State, string Author);

    private sealed record EnquiryLock(int Id, string Status, string? AssignedTo);

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
        var post = await PostAsync(postId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "reply to a post", post?.IncidentId, cancellationToken);
        if (post is null)
            throw new CommandException($"There is no post {postId}.", StatusCodes.Status404NotFound);
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

        var actor = user.ActorName();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM org_accounts WHERE incident_id = @incidentId AND platform = @platform)",
                new { incidentId = post.IncidentId, platform = post.Platform }, transaction))
            throw new ReplyInputException($"This incident has no {ReplyPlatforms.Label(post.Platform)} account to reply from: an Admin adds it on the incident's Accounts page.");
        if (rebuttalId is { } rid && !await connection.ExecuteScalarAsync<bool>(
                "SELECT EXISTS (SELECT 1 FROM rebuttals WHERE id = @rid AND incident_id = @incidentId AND state IN ('approved', 'published'))",
                new { rid, incidentId = post.IncidentId }, transaction))
            throw new ReplyInputException("Only an approved rebuttal of this incident can be reused in a reply.");

        var enquiry = await LockEnquiryAsync(connection, transaction, post.IncidentId, postId);
        var events = new List<EventPayload>();
        if (enquiry is not null)
        {
            if (enquiry.AssignedTo is { } owner && !string.Equals(owner, actor, StringComparison.OrdinalIgnoreCase))
                throw new ReplyStateException($"{owner} is answering this enquiry: take it over first if you mean to answer it.");
            if (enquiry.Status != "open")
                throw new ReplyStateException($"This enquiry is already {StatusWord(enquiry.Status)}.");
        }
        if (await connection.ExecuteScalarAsync<bool>(
                "SELECT EXISTS (SELECT 1 FROM replies WHERE post_id = @postId AND incident_id = @incidentId AND state = 'awaiting-approval')",
                new { postId, incidentId = post.IncidentId }, transaction))
            throw new ReplyStateException("A reply to this post already waits for approval: decide it first.");

        var role = await connection.ExecuteScalarAsync<string?>("SELECT role FROM users WHERE lower(user_name) = lower(@actor)", new { actor }, transaction);
        var needsApproval = await connection.ExecuteScalarAsync<bool?>("SELECT needs_approval FROM reply_rules WHERE platform = @platform AND role = @role",
            new { platform = post.Platform, role }, transaction) ?? true;

        var replyId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO replies (incident_id, post_id, enquiry_id, platform, text, rebuttal_id, state, author, parent_ref)
            VALUES (@incidentId, @postId, @enquiryId, @platform, @text, @rebuttalId, 'awaiting-approval', @actor, @parentRef::jsonb)
            RETURNING id
            """, new { incidentId = post.IncidentId, postId, enquiryId = enquiry?.Id, platform = post.Platform, text, rebuttalId, actor, parentRef = thread.ToJson() }, transaction);
        events.Add(new ReplyDrafted(replyId, postId, post.Platform, text, needsApproval, enquiry?.Id, rebuttalId));
        if (enquiry is { AssignedTo: null })
        {
            // Answering an enquiry nobody holds takes it, so nobody else answers it at the same time.
            await connection.ExecuteAsync("UPDATE enquiries SET assigned_to = @actor, assigned_at = now() WHERE id = @id", new { actor, id = enquiry.Id }, transaction);
            events.Add(new EnquiryAssigned(enquiry.Id, actor, null));
        }
        long? deliveryId = null;
        if (!needsApproval)
            deliveryId = await SendAsync(connection, transaction, new ReplyRow(replyId, post.IncidentId, postId, enquiry?.Id, post.Platform, ReplyView.AwaitingApproval, actor), events);
        foreach (var payload in events)
            await EventLog.AppendAsync(connection, transaction, actor, post.IncidentId, payload, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (deliveryId is not null)
            signal.Notify();
        Announce(post.IncidentId, deliveryId is null ? EventActions.ReplyDrafted : EventActions.ReplySent, actor, postId,
            deliveryId is null ? $"{actor} drafted a reply on {ReplyPlatforms.Label(post.Platform)} for approval" : $"{actor} replied on {ReplyPlatforms.Label(post.Platform)}");
        return new ReplyOutcome(replyId, deliveryId is null ? ReplyView.AwaitingApproval : ReplyView.Sent, deliveryId);
    }

    /// <summary>Approves a reply someone else wrote and sends it (Approver).</summary>
    public async Task<long> ApproveAsync(ClaimsPrincipal user, int replyId, string? comment, CancellationToken cancellationToken = default)
    {
        var stored = await ReplyAsync(replyId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Approver, "approve a reply", stored?.IncidentId, cancellationToken);
        var actor = user.ActorName();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var reply = await LockReplyAsync(connection, transaction, replyId);
        if (reply.State != ReplyView.AwaitingApproval)
            throw new ReplyStateException($"This reply is {StatusWord(reply.State)}: only a reply waiting for approval can be approved.");
        if (string.Equals(reply.Author, actor, StringComparison.OrdinalIgnoreCase))
        {
            await EventLog.AppendAsync(dataSource, actor, reply.IncidentId, new AuthorizationDenied("approve a reply they wrote", Rule: "two-person"), cancellationToken);
            throw new CommandException("Someone other than its author approves a reply.", StatusCodes.Status403Forbidden);
        }
        if (reply.EnquiryId is { } enquiryId)
        {
            var enquiry = await LockEnquiryAsync(connection, transaction, reply.IncidentId, reply.PostId);
            if (enquiry is { Status: not "open" })
                throw new ReplyStateException($"Enquiry {enquiryId} is already {StatusWord(enquiry.Status)}: reject this reply instead.");
        }
        await connection.ExecuteAsync("UPDATE replies SET approver = @actor, decision_comment = @comment WHERE id = @replyId", new { actor, comment, replyId }, transaction);
        var events = new List<EventPayload> { new ReplyApproved(replyId, reply.Author, comment) };
        var deliveryId = await SendAsync(connection, transaction, reply, events);
        foreach (var payload in events)
            await EventLog.AppendAsync(connection, transaction, actor, reply.IncidentId, payload, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        signal.Notify();
        Announce(reply.IncidentId, EventActions.ReplySent, actor, reply.PostId, $"{actor} approved {reply.Author}'s reply on {ReplyPlatforms.Label(reply.Platform)}");
        return deliveryId;
    }

    /// <summary>Sends a reply back to its author with a reason (Approver).</summary>
    public async Task RejectAsync(ClaimsPrincipal user, int replyId, string comment, CancellationToken cancellationToken = default)
    {
        var stored = await ReplyAsync(replyId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Approver, "reject a reply", stored?.IncidentId, cancellationToken);
        if (string.IsNullOrWhiteSpace(comment))
            throw new ReplyInputException("Say why the reply goes back.");
        var actor = user.ActorName();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var reply = await LockReplyAsync(connection, transaction, replyId);
        if (reply.State != ReplyView.AwaitingApproval)
            throw new ReplyStateException($"This reply is {StatusWord(reply.State)}: only a reply waiting for approval can be sent back.");
        await connection.ExecuteAsync("UPDATE replies SET state = 'rejected', approver = @actor, decision_comment = @comment WHERE id = @replyId",
            new { actor, comment = comment.Trim(), replyId }, transaction);
        await EventLog.AppendAsync(connection, transaction, actor, reply.IncidentId, new ReplyRejected(replyId, reply.Author, comment.Trim()), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(reply.IncidentId, EventActions.ReplyRejected, actor, reply.PostId, $"{actor} sent back {reply.Author}'s reply");
    }

    private const string ViewColumns = """
        r.id, r.incident_id AS IncidentId, r.post_id AS PostId, r.enquiry_id AS EnquiryId, r.platform, r.text, r.rebuttal_id AS RebuttalId, r.state,
        r.author, r.approver, r.decision_comment AS DecisionComment, r.created_at AS CreatedAt, r.sent_at AS SentAt, d.id AS DeliveryId,
        d.status AS DeliveryStatus, d.receipt, d.last_error AS LastError
        """;

    /// <summary>The replies to one post, oldest first.</summary>
    public async Task<IReadOnlyList<ReplyView>> ForPostAsync(long postId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ReplyView>(new CommandDefinition(
            $"SELECT {ViewColumns} FROM replies r LEFT JOIN deliveries d ON d.reply_id = r.id WHERE r.post_id = @postId ORDER BY r.id",
            new { postId }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>The incident's replies waiting for approval, oldest first.</summary>
    public async Task<IReadOnlyList<ReplyView>> AwaitingApprovalAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ReplyView>(new CommandDefinition(
            $"SELECT {ViewColumns} FROM replies r LEFT JOIN deliveries d ON d.reply_id = r.id WHERE r.incident_id = @incidentId AND r.state = 'awaiting-approval' ORDER BY r.id",
            new { incidentId }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>The incident's approved rebuttals, whose text a reply can start from.</summary>
    public async Task<IReadOnlyList<ReusableRebuttal>> ReusableRebuttalsAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(int Id, string Title, string Variants)>(new CommandDefinition("""
            SELECT r.id, r.title, v.variants::text FROM rebuttals r JOIN rebuttal_versions v ON v.rebuttal_id = r.id AND v.version = r.version
             WHERE r.incident_id = @incidentId AND r.state IN ('approved', 'published') ORDER BY r.id DESC
            """, new { incidentId }, cancellationToken: cancellationToken));
        return rows.Select(r => new ReusableRebuttal(r.Id, r.Title, Rebuttals.RebuttalCommands.ReadVariants(r.Variants))).ToList();
    }

    /// <summary>Whether the incident can send replies on the post's platform (an account is configured).</summary>
    public async Task<bool> HasAccountAsync(int incidentId, string platform, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM org_accounts WHERE incident_id = @incidentId AND platform = @platform)", new { incidentId, platform }, cancellationToken: cancellationToken));
    }

    /// <summary>Puts the reply in the outbox and closes its enquiry as answered, in the caller's transaction.</summary>
    private static async Task<long> SendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ReplyRow reply, List<EventPayload> events)
    {
        await connection.ExecuteAsync("UPDATE replies SET state = 'sent', sent_at = now() WHERE id = @id", new { id = reply.Id }, transaction);
        var deliveryId = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO deliveries (incident_id, reply_id, channel, idempotency_key) VALUES (@incidentId, @replyId, @channel, @key) RETURNING id
            """, new { incidentId = reply.IncidentId, replyId = reply.Id, channel = ChannelNames.ReplyChannelOf(reply.Platform), key = Guid.NewGuid() }, transaction);
        events.Add(new ReplySent(reply.Id, reply.PostId, reply.Platform, deliveryId, reply.EnquiryId));
        if (reply.EnquiryId is { } enquiryId && await connection.ExecuteAsync("""
                UPDATE enquiries SET status = 'answered', first_answered_at = coalesce(first_answered_at, now()), closed_at = now()
                 WHERE id = @enquiryId AND status = 'open'
                """, new { enquiryId }, transaction) == 1)
            events.Add(new EnquiryStatusChanged(enquiryId, "open", "answered"));
        return deliveryId;
    }

    private static async Task<EnquiryLock?> LockEnquiryAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int incidentId, long postId) =>
        await connection.QuerySingleOrDefaultAsync<EnquiryLock>(
            "SELECT id, status, assigned_to AS AssignedTo FROM enquiries WHERE incident_id = @incidentId AND post_id = @postId FOR UPDATE",
            new { incidentId, postId }, transaction);

    private static async Task<ReplyRow> LockReplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int replyId) =>
        await connection.QuerySingleOrDefaultAsync<ReplyRow>("""
            SELECT id, incident_id AS IncidentId, post_id AS PostId, enquiry_id AS EnquiryId, platform, state, author FROM replies WHERE id = @replyId FOR UPDATE
            """, new { replyId }, transaction)
        ?? throw new CommandException($"There is no reply {replyId}.", StatusCodes.Status404NotFound);

    private async Task<ReplyRow?> ReplyAsync(int replyId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ReplyRow>(new CommandDefinition("""
            SELECT id, incident_id AS IncidentId, post_id AS PostId, enquiry_id AS EnquiryId, platform, state, author FROM replies WHERE id = @replyId
            """, new { replyId }, cancellationToken: cancellationToken));
    }

    private async Task<PostRow?> PostAsync(long postId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<PostRow>(new CommandDefinition("""
            SELECT p.id, p.incident_id AS IncidentId, p.platform, p.external_id AS ExternalId, p.extra::text AS Extra, i.is_drill AS IsDrill
              FROM posts p JOIN incidents i ON i.id = p.incident_id WHERE p.id = @postId
            """, new { postId }, cancellationToken: cancellationToken));
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
