using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rumours;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Dapper;

namespace CrisisDesk.Web.Features.Rumours;

/// <summary>
/// Rumour commands (Operator). Each is authorised on the server, writes its change and its event in one transaction,
/// and is announced to every open war room and board after the commit. Changes to the rumour itself name the version
/// they saw: the second of two concurrent changes gets <see cref="RumourConflictException"/> with the current state.
/// </summary>
public sealed class RumourCommands(CommandRunner commands, IncidentActivityFeed activity, RumourQueries queries,
    RumourSuggester suggester, TimeProvider time)
{
    public const int MaxClaimLength = 300;

    public async Task<int> CreateAsync(ClaimsPrincipal user, int incidentId, string claim, RumourSeverity severity, string? owner,
        IReadOnlyList<string>? keywords, IReadOnlyList<long>? postIds, IReadOnlyList<long>? storyIds, CancellationToken cancellationToken = default)
    {
        var actor = user.ActorName();
        var cleanKeywords = (keywords ?? []).Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        var posts = (postIds ?? []).Distinct().ToArray();
        var stories = (storyIds ?? []).Distinct().ToArray();
        var (rumourId, cleanClaim, seq) = await commands.RunAsync(user, new CommandSpec(Policies.Operator, "create a rumour", incidentId), async command =>
        {
            var cleanClaim = CleanClaim(claim);
            var cleanOwner = string.IsNullOrWhiteSpace(owner) ? actor : owner.Trim();
            await RequireInIncidentAsync(command, incidentId, posts, stories);
            var rumourId = await command.Connection.ExecuteScalarAsync<int>(new CommandDefinition("""
                INSERT INTO rumours (incident_id, claim, severity, owner, status, keywords, created_by)
                VALUES (@incidentId, @claim, @severity, @owner, 'New', @keywords, @actor) RETURNING id
                """, new { incidentId, claim = cleanClaim, severity = severity.ToString(), owner = cleanOwner, keywords = cleanKeywords, actor },
                command.Transaction, cancellationToken: cancellationToken));
            await command.Connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO rumour_posts (rumour_id, post_id, linked_by) SELECT @rumourId, unnest(@posts), @actor;
                INSERT INTO rumour_stories (rumour_id, story_id, linked_by) SELECT @rumourId, unnest(@stories), @actor;
                INSERT INTO rumour_notes (rumour_id, author, to_status, note) VALUES (@rumourId, @actor, 'New', 'Created');
                """, new { rumourId, posts, stories, actor }, command.Transaction, cancellationToken: cancellationToken));
            var seq = await command.RecordAsync(incidentId,
                new RumourCreated(rumourId, cleanClaim, severity.ToString(), cleanOwner, cleanKeywords, posts, stories));
            return (rumourId, cleanClaim, seq);
        }, cancellationToken);
        Announce(incidentId, EventActions.RumourCreated, actor, seq, rumourId, posts, $"{actor} created rumour {rumourId}: {cleanClaim}");
        suggester.RumoursChanged(incidentId, scanRecent: true);
        return rumourId;
    }

    /// <summary>Moves the rumour along its lifecycle, with a note.</summary>
    public async Task<RumourState> ChangeStatusAsync(ClaimsPrincipal user, int rumourId, int expectedVersion, RumourStatus to, string? note,
        CancellationToken cancellationToken = default)
    {
        var current = await RequireRumourAsync(rumourId, cancellationToken);
        var actor = user.ActorName();
        var (updated, seq) = await commands.RunAsync(user, new CommandSpec(Policies.Operator, "change a rumour's status", current.IncidentId), async command =>
        {
            note = (note ?? "").Trim();
            if (note.Length > 2000)
                throw new RumourInputException("A note can have at most 2000 characters.");
            var from = await LockVersionAsync(command, rumourId, expectedVersion);
            if (!RumourLifecycle.CanMove(from, to))
                throw new RumourInputException($"A rumour that is {RumourLifecycle.Label(from)} cannot move to {RumourLifecycle.Label(to)}; it can move to: "
                    + string.Join(", ", RumourLifecycle.AllowedFrom(from).Select(RumourLifecycle.Label)) + ".");
            var updated = await command.Connection.QuerySingleAsync<RumourState>(new CommandDefinition($"""
                UPDATE rumours SET status = @to, version = version + 1, updated_at = now() WHERE id = @rumourId
                RETURNING {RumourQueries.StateColumns}
                """, new { rumourId, to = to.ToString() }, command.Transaction, cancellationToken: cancellationToken));
            await command.Connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO rumour_notes (rumour_id, author, from_status, to_status, note) VALUES (@rumourId, @actor, @from, @to, @note)",
                new { rumourId, actor, from = from.ToString(), to = to.ToString(), note }, command.Transaction, cancellationToken: cancellationToken));
            var seq = await command.RecordAsync(updated.IncidentId, new RumourStatusChanged(rumourId, from.ToString(), to.ToString(), note, updated.Version));
            return (updated, seq);
        }, cancellationToken);
        Announce(updated.IncidentId, EventActions.RumourStatusChanged, actor, seq, rumourId, null,
            $"{actor} moved rumour {rumourId} to {RumourLifecycle.Label(to)}");
        suggester.RumoursChanged(updated.IncidentId, scanRecent: false);
        return updated;
    }

    /// <summary>Changes the claim, severity or owner.</summary>
    public async Task<RumourState> UpdateAsync(ClaimsPrincipal user, int rumourId, int expectedVersion, string claim, RumourSeverity severity, string owner,
        CancellationToken cancellationToken = default)
    {
        var current = await RequireRumourAsync(rumourId, cancellationToken);
        var actor = user.ActorName();
        var (updated, seq) = await commands.RunAsync(user, new CommandSpec(Policies.Operator, "edit a rumour", current.IncidentId), async command =>
        {
            claim = CleanClaim(claim);
            owner = string.IsNullOrWhiteSpace(owner) ? throw new RumourInputException("A rumour needs an owner.") : owner.Trim();
            await LockVersionAsync(command, rumourId, expectedVersion);
            var updated = await command.Connection.QuerySingleAsync<RumourState>(new CommandDefinition($"""
                UPDATE rumours SET claim = @claim, severity = @severity, owner = @owner, version = version + 1, updated_at = now() WHERE id = @rumourId
                RETURNING {RumourQueries.StateColumns}
                """, new { rumourId, claim, severity = severity.ToString(), owner }, command.Transaction, cancellationToken: cancellationToken));
            var seq = await command.RecordAsync(updated.IncidentId, new RumourUpdated(rumourId, claim, severity.ToString(), owner, updated.Version));
            return (updated, seq);
        }, cancellationToken);
        Announce(updated.IncidentId, EventActions.RumourUpdated, actor, seq, rumourId, null, $"{actor} edited rumour {rumourId}");
        suggester.RumoursChanged(updated.IncidentId, scanRecent: false);
        return updated;
    }

    /// <summary>Links a post and/or a story to the rumour. Links only add, so they need no version.</summary>
    public async Task LinkAsync(ClaimsPrincipal user, int rumourId, long? postId, long? storyId, CancellationToken cancellationToken = default)
    {
        if (postId is null && storyId is null)
            throw new RumourInputException("Name a post or a story to link.");
        var current = await RequireRumourAsync(rumourId, cancellationToken);
        var actor = user.ActorName();
        long[] posts = postId is { } p ? [p] : [];
        long[] stories = storyId is { } s ? [s] : [];
        EventPayload linked = storyId is null ? new RumourPostLinked(rumourId, postId, storyId) : new RumourStoryLinked(rumourId, postId, storyId);
        var seq = await commands.RunAsync(user, new CommandSpec(Policies.Operator, "link a post to a rumour", current.IncidentId), async command =>
        {
            await RequireInIncidentAsync(command, current.IncidentId, posts, stories);
            if (await LinkCoreAsync(command, rumourId, posts, stories) == 0)
            {
                command.NothingChanged();
                return 0L;
            }
            return await command.RecordAsync(current.IncidentId, linked);
        }, cancellationToken);
        if (seq == 0)
            return;
        Announce(current.IncidentId, EventContract.ActionOf(linked), actor, seq, rumourId, posts,
            $"{actor} linked {(storyId is null ? $"post {postId}" : $"story {storyId}")} to rumour {rumourId}");
        suggester.RumoursChanged(current.IncidentId, scanRecent: false);
    }

    /// <summary>Confirms a suggestion: its story (and the post that matched) are linked.</summary>
    public Task ConfirmSuggestionAsync(ClaimsPrincipal user, long suggestionId, CancellationToken cancellationToken = default) =>
        DecideAsync(user, suggestionId, confirm: true, cancellationToken);

    /// <summary>Rejects a suggestion: recorded with who and when; the same story is not proposed again for this rumour.</summary>
    public Task RejectSuggestionAsync(ClaimsPrincipal user, long suggestionId, CancellationToken cancellationToken = default) =>
        DecideAsync(user, suggestionId, confirm: false, cancellationToken);

    private async Task DecideAsync(ClaimsPrincipal user, long suggestionId, bool confirm, CancellationToken cancellationToken)
    {
        var owner = await queries.SuggestionOwnerAsync(suggestionId, cancellationToken)
            ?? throw new RumourInputException($"There is no suggestion {suggestionId}.");
        var (rumourId, incidentId) = (owner.RumourId, owner.IncidentId);
        var actor = user.ActorName();
        var spec = new CommandSpec(Policies.Operator, confirm ? "confirm a suggestion" : "reject a suggestion", incidentId);
        var (decision, seq, postId) = await commands.RunAsync(user, spec, async command =>
        {
            var decided = await command.Connection.QuerySingleOrDefaultAsync<DecidedSuggestion>(new CommandDefinition("""
                UPDATE rumour_suggestions SET state = @state, decided_by = @actor, decided_at = now()
                 WHERE id = @suggestionId AND state = 'pending'
                RETURNING story_id AS StoryId, post_id AS PostId, score, reason
                """, new { suggestionId, actor, state = confirm ? "confirmed" : "rejected" }, command.Transaction, cancellationToken: cancellationToken));
            if (decided is not { } d)
                throw new RumourInputException("Someone has already decided this suggestion.");
            if (confirm)
                await LinkCoreAsync(command, rumourId, [d.PostId], [d.StoryId]);
            EventPayload decision = confirm
                ? new RumourSuggestionConfirmed(rumourId, suggestionId, d.StoryId, d.PostId, d.Score, d.Reason)
                : new RumourSuggestionRejected(rumourId, suggestionId, d.StoryId, d.PostId, d.Score, d.Reason);
            return (decision, await command.RecordAsync(incidentId, decision), d.PostId);
        }, cancellationToken);
        Announce(incidentId, EventContract.ActionOf(decision), actor, seq, rumourId, [postId],
            $"{actor} {(confirm ? "confirmed" : "rejected")} a suggested story for rumour {rumourId}");
        if (confirm)
            suggester.RumoursChanged(incidentId, scanRecent: false);
    }

    private sealed record DecidedSuggestion(long StoryId, long PostId, double Score, string Reason);

    private static async Task<int> LinkCoreAsync(CommandTransaction command, int rumourId, long[] posts, long[] stories) =>
        await command.Connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO rumour_posts (rumour_id, post_id, linked_by) SELECT @rumourId, unnest(@posts), @actor ON CONFLICT DO NOTHING;
            INSERT INTO rumour_stories (rumour_id, story_id, linked_by) SELECT @rumourId, unnest(@stories), @actor ON CONFLICT DO NOTHING;
            """, new { rumourId, posts, stories, actor = command.Actor }, command.Transaction, cancellationToken: command.CancellationToken));

    /// <summary>Locks the rumour row and checks the version; the lock makes the check and the update one step.</summary>
    private static async Task<RumourStatus> LockVersionAsync(CommandTransaction command, int rumourId, int expectedVersion)
    {
        var row = await command.Connection.QuerySingleAsync<RumourState>(new CommandDefinition(
            $"SELECT {RumourQueries.StateColumns} FROM rumours WHERE id = @rumourId FOR UPDATE", new { rumourId }, command.Transaction,
            cancellationToken: command.CancellationToken));
        if (row.Version != expectedVersion)
            throw new RumourConflictException(row, expectedVersion);
        return row.StatusValue;
    }

    private async Task<RumourState> RequireRumourAsync(int rumourId, CancellationToken cancellationToken) =>
        await queries.GetAsync(rumourId, cancellationToken) ?? throw new RumourInputException($"There is no rumour {rumourId}.");

    private static async Task RequireInIncidentAsync(CommandTransaction command, int incidentId, long[] posts, long[] stories)
    {
        var (postsFound, storiesFound) = await command.Connection.QuerySingleAsync<(long, long)>(new CommandDefinition("""
            SELECT (SELECT count(*) FROM posts WHERE id = ANY(@posts) AND incident_id = @incidentId),
                   (SELECT count(*) FROM stories WHERE id = ANY(@stories) AND incident_id = @incidentId)
            """, new { incidentId, posts, stories }, command.Transaction, cancellationToken: command.CancellationToken));
        if (postsFound != posts.Length || storiesFound != stories.Length)
            throw new RumourInputException("Every linked post and story must belong to the rumour's incident.");
    }

    private static string CleanClaim(string? claim)
    {
        claim = (claim ?? "").Trim();
        if (claim.Contains('\n', StringComparison.Ordinal) || claim.Contains('\r', StringComparison.Ordinal))
            throw new RumourInputException("The claim is one line.");
        if (claim.Length is < 5 or > MaxClaimLength)
            throw new RumourInputException($"The claim needs 5 to {MaxClaimLength} characters.");
        return claim;
    }

    private void Announce(int incidentId, string action, string actor, long seq, int rumourId, IReadOnlyList<long>? postIds, string summary) =>
        activity.Publish(new IncidentActivity(incidentId, action, actor, time.GetUtcNow(), seq, rumourId, postIds, summary));
}
