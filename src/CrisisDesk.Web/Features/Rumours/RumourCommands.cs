using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rumours;
using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.Rumours;

/// <summary>
/// Rumour commands (Operator), on the domain's DbContext through <see cref="CommandRunner"/>: each is authorised on the
/// server, writes its change and its event in one transaction, and is announced to every open war room and board after
/// the commit. Changes to the rumour itself name the version they saw; the row's xmin guards the save, so the second
/// of two concurrent changes gets <see cref="RumourConflictException"/> with the current state.
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
            var rumour = new RumourRow
            {
                IncidentId = incidentId, Claim = cleanClaim, Severity = severity.ToString(), Owner = cleanOwner,
                Status = nameof(RumourStatus.New), Keywords = cleanKeywords, Version = 1, CreatedBy = actor,
            };
            command.Db.Rumours.Add(rumour);
            await command.SaveAsync(); // the rumour's id, for its links, notes and event
            command.Db.RumourPosts.AddRange(posts.Select(p => new RumourPostRow { RumourId = rumour.Id, PostId = p, LinkedBy = actor }));
            command.Db.RumourStories.AddRange(stories.Select(s => new RumourStoryRow { RumourId = rumour.Id, StoryId = s, LinkedBy = actor }));
            command.Db.RumourNotes.Add(new RumourNoteRow { RumourId = rumour.Id, Author = actor, ToStatus = nameof(RumourStatus.New), Note = "Created" });
            var seq = await command.RecordAsync(incidentId,
                new RumourCreated(rumour.Id, cleanClaim, severity.ToString(), cleanOwner, cleanKeywords, posts, stories));
            return (rumour.Id, cleanClaim, seq);
        }, cancellationToken);
        Announce(incidentId, EventActions.RumourCreated, actor, seq, rumourId, posts, $"{actor} created rumour {rumourId}: {cleanClaim}");
        suggester.RumoursChanged(incidentId, scanRecent: true);
        return rumourId;
    }

    /// <summary>Moves the rumour along its lifecycle, with a note.</summary>
    public async Task<RumourState> ChangeStatusAsync(ClaimsPrincipal user, int rumourId, int expectedVersion, RumourStatus to, string? note,
        CancellationToken cancellationToken = default)
    {
        var actor = user.ActorName();
        var (updated, seq) = await ChangeAsync(user, "change a rumour's status", rumourId, expectedVersion,
            async (command, rumour) =>
            {
                note = (note ?? "").Trim();
                if (note.Length > 2000)
                    throw new RumourInputException("A note can have at most 2000 characters.");
                var from = Enum.Parse<RumourStatus>(rumour.Status);
                if (!RumourLifecycle.CanMove(from, to))
                    throw new RumourInputException($"A rumour that is {RumourLifecycle.Label(from)} cannot move to {RumourLifecycle.Label(to)}; it can move to: "
                        + string.Join(", ", RumourLifecycle.AllowedFrom(from).Select(RumourLifecycle.Label)) + ".");
                rumour.Status = to.ToString();
                command.Db.RumourNotes.Add(new RumourNoteRow { RumourId = rumourId, Author = actor, FromStatus = from.ToString(), ToStatus = to.ToString(), Note = note });
                return new RumourStatusChanged(rumourId, from.ToString(), to.ToString(), note, rumour.Version);
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
        var actor = user.ActorName();
        var (updated, seq) = await ChangeAsync(user, "edit a rumour", rumourId, expectedVersion,
            (_, rumour) =>
            {
                claim = CleanClaim(claim);
                owner = string.IsNullOrWhiteSpace(owner) ? throw new RumourInputException("A rumour needs an owner.") : owner.Trim();
                (rumour.Claim, rumour.Severity, rumour.Owner) = (claim, severity.ToString(), owner);
                return Task.FromResult<EventPayload>(new RumourUpdated(rumourId, claim, severity.ToString(), owner, rumour.Version));
            }, cancellationToken);
        Announce(updated.IncidentId, EventActions.RumourUpdated, actor, seq, rumourId, null, $"{actor} edited rumour {rumourId}");
        suggester.RumoursChanged(updated.IncidentId, scanRecent: false);
        return updated;
    }

    /// <summary>
    /// A change to the rumour itself, through <see cref="CommandRunner.RunOnAsync{TRow, T}"/>: read and locked in the
    /// command's transaction (one round trip), authorised for its incident on that connection, checked against the
    /// version the person saw, changed, its version bumped and saved under the xmin token. A save that meets someone
    /// else's change (the version moved, or the row was written since it was read) is the conflict the person sees,
    /// with the current state.
    /// </summary>
    private async Task<(RumourState Updated, long Seq)> ChangeAsync(ClaimsPrincipal user, string what, int rumourId, int expectedVersion,
        Func<CommandTransaction, RumourRow, Task<EventPayload>> change, CancellationToken cancellationToken)
    {
        try
        {
            var (_, result) = await commands.RunOnAsync(user, Policies.Operator, what,
                // Locked as it is read, so that changes to one rumour queue in the order they came.
                (db, token) => RumourLocks.ForChangeAsync(db, rumourId, token),
                rumour => rumour.IncidentId,
                () => new RumourInputException($"There is no rumour {rumourId}."),
                async (command, rumour) =>
                {
                    if (rumour.Version != expectedVersion)
                        throw new RumourConflictException(RumourQueries.StateOf(rumour), expectedVersion);
                    rumour.Version++;
                    rumour.UpdatedAt = time.GetUtcNow().UtcDateTime;
                    var recorded = await change(command, rumour);
                    var seq = await command.RecordAsync(rumour.IncidentId, recorded);
                    return (RumourQueries.StateOf(rumour), seq);
                }, cancellationToken);
            return result;
        }
        catch (DbUpdateConcurrencyException)
        {
            // Changed between our read and our save: the row's xmin moved. Rolled back; show what it is now.
            var now = await RequireRumourAsync(rumourId, cancellationToken);
            throw new RumourConflictException(now, expectedVersion);
        }
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
        long seq;
        try
        {
            seq = await commands.RunAsync(user, new CommandSpec(Policies.Operator, "link a post to a rumour", current.IncidentId), async command =>
            {
                await RequireInIncidentAsync(command, current.IncidentId, posts, stories);
                if (await LinkCoreAsync(command, rumourId, posts, stories) == 0)
                {
                    command.NothingChanged();
                    return 0L;
                }
                return await command.RecordAsync(current.IncidentId, linked);
            }, cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return; // someone linked the same post or story a moment earlier: nothing left to add
        }
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
        var state = confirm ? "confirmed" : "rejected";
        var (decision, seq, postId) = await commands.RunAsync(user, spec, async command =>
        {
            // One conditional update: of two people deciding at once, exactly one finds it still pending.
            var decided = await command.Db.RumourSuggestions
                .Where(g => g.Id == suggestionId && g.State == "pending")
                .ExecuteUpdateAsync(u => u.SetProperty(g => g.State, state).SetProperty(g => g.DecidedBy, actor)
                    .SetProperty(g => g.DecidedAt, time.GetUtcNow().UtcDateTime), cancellationToken);
            if (decided == 0)
                throw new RumourInputException("Someone has already decided this suggestion.");
            var d = await command.Db.RumourSuggestions.AsNoTracking().SingleAsync(g => g.Id == suggestionId, cancellationToken);
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

    /// <summary>Adds the links the rumour does not have yet; returns how many.</summary>
    private static async Task<int> LinkCoreAsync(CommandTransaction command, int rumourId, long[] posts, long[] stories)
    {
        var db = command.Db;
        var newPosts = posts.Except(await db.RumourPosts.Where(l => l.RumourId == rumourId && posts.Contains(l.PostId)).Select(l => l.PostId)
            .ToListAsync(command.CancellationToken)).ToList();
        var newStories = stories.Except(await db.RumourStories.Where(l => l.RumourId == rumourId && stories.Contains(l.StoryId)).Select(l => l.StoryId)
            .ToListAsync(command.CancellationToken)).ToList();
        db.RumourPosts.AddRange(newPosts.Select(p => new RumourPostRow { RumourId = rumourId, PostId = p, LinkedBy = command.Actor }));
        db.RumourStories.AddRange(newStories.Select(s => new RumourStoryRow { RumourId = rumourId, StoryId = s, LinkedBy = command.Actor }));
        return newPosts.Count + newStories.Count;
    }

    private async Task<RumourState> RequireRumourAsync(int rumourId, CancellationToken cancellationToken) =>
        await queries.GetAsync(rumourId, cancellationToken) ?? throw new RumourInputException($"There is no rumour {rumourId}.");

    private static async Task RequireInIncidentAsync(CommandTransaction command, int incidentId, long[] posts, long[] stories)
    {
        var postsFound = posts.Length == 0 ? 0
            : await command.Db.PostReferences.CountAsync(p => posts.Contains(p.Id) && p.IncidentId == incidentId, command.CancellationToken);
        var storiesFound = stories.Length == 0 ? 0
            : await command.Db.Stories.CountAsync(s => stories.Contains(s.Id) && s.IncidentId == incidentId, command.CancellationToken);
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
