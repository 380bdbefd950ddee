using System.Security.Claims;
using System.Text.RegularExpressions;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Web.Features.Replies;

/// <summary>An identity that speaks for the organisation in one incident, and the name of the credential it posts with.</summary>
public sealed record OrgAccount(int Id, int IncidentId, string Platform, string Handle, string BaseUrl, string SecretName, string CreatedBy, DateTime UpdatedAt);

/// <summary>What an Admin enters for one platform's account.</summary>
public sealed record OrgAccountInput(string Platform, string Handle, string BaseUrl, string SecretName);

/// <summary>Whether a reply on a platform written by a role needs someone else's approval.</summary>
public sealed record ReplyRule(string Platform, string Role, bool NeedsApproval);

/// <summary>What makes a post an enquiry, and how soon an enquiry should be answered.</summary>
public sealed record EnquiryRuleSettings(bool RequireQuestion, IReadOnlyList<string> QuestionWords, int SlaMinutes);

public sealed class ReplyInputException(string message) : CommandException(message, StatusCodes.Status400BadRequest);

public sealed class ReplyStateException(string message) : CommandException(message, StatusCodes.Status409Conflict);

/// <summary>The platforms a reply in thread can go to, and how each is named and counted.</summary>
public static class ReplyPlatforms
{
    public static IReadOnlyList<string> All { get; } = ["x", "mastodon", "bluesky"];

    public static bool IsKnown(string platform) => All.Contains(platform, StringComparer.Ordinal);

    public static string Label(string platform) => platform switch
    {
        "x" => "X",
        "mastodon" => "Mastodon",
        "bluesky" => "Bluesky",
        _ => platform,
    };

    public static string HandleHint(string platform) => platform switch
    {
        "x" => "@riversidecc",
        "mastodon" => "riverside@mastodon.example",
        "bluesky" => "riverside.bsky.social",
        _ => "",
    };

    public static string BaseUrlHint(string platform) => platform switch
    {
        "x" => "https://api.x.com",
        "mastodon" => "https://mastodon.example",
        "bluesky" => "https://bsky.social",
        _ => "",
    };
}

/// <summary>
/// The organisation's accounts per incident, the reply approval rule and the enquiry rule: read by operators, changed
/// by Admins, each change recorded in the event log. Credentials are named (<c>CrisisDesk:Secrets:&lt;name&gt;</c>),
/// never stored, as sources name theirs. Changes run through <see cref="CommandRunner"/> (the role read afresh, the
/// change and its event in one transaction); reads are <c>AsNoTracking</c> queries on the domain's DbContext.
/// </summary>
public sealed partial class OrgAccountStore(IDbContextFactory<CrisisDeskDbContext> contexts, CommandRunner commands, SourceSecrets secrets)
{
    /// <summary>The roles a reply rule names, in the order the rules are listed.</summary>
    private static readonly string[] RuleRoles = [Roles.Operator, Roles.Approver, Roles.Admin];

    /// <summary>The incident's accounts, X then Mastodon then Bluesky.</summary>
    public async Task<IReadOnlyList<OrgAccount>> ListAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.OrgAccounts.AsNoTracking().Where(a => a.IncidentId == incidentId)
            .Select(a => new OrgAccount(a.Id, a.IncidentId, a.Platform, a.Handle, a.BaseUrl, a.SecretName, a.CreatedBy, a.UpdatedAt))
            .ToListAsync(cancellationToken);
        // At most one per platform: ordered here, in the platforms' order, rather than by a CASE in SQL.
        return [.. rows.OrderBy(a => PlatformOrder(a.Platform))];
    }

    /// <summary>Why the input cannot be saved, per field; empty when it can.</summary>
    public IReadOnlyDictionary<string, string> Validate(OrgAccountInput input)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!ReplyPlatforms.IsKnown(input.Platform))
            errors["platform"] = "Choose X, Mastodon or Bluesky.";
        var handle = input.Handle?.Trim() ?? "";
        if (handle.Length is 0 or > 200)
            errors["handle"] = "Write the account's handle, as residents mention it.";
        if (!Uri.TryCreate(input.BaseUrl?.Trim(), UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("https" or "http"))
            errors["baseUrl"] = "Write the API address, e.g. " + ReplyPlatforms.BaseUrlHint(input.Platform) + ".";
        var name = input.SecretName?.Trim() ?? "";
        if (name.Length is 0 or > 100 || !SecretNamePattern().IsMatch(name))
            errors["secretName"] = "Name the credential (e.g. X:Riverside): its value is read from CrisisDesk:Secrets:<name>.";
        else if (secrets.Find(name) is not { } secret)
            errors["secretName"] = "No credential of that name is configured. Set CrisisDesk:Secrets:<name> and restart CrisisDesk.";
        else if (baseUrl is not null && ReplyPlatforms.IsKnown(input.Platform) && secret.Binding.Refusal(input.Platform, baseUrl) is { } refusal)
            errors["secretName"] = refusal;
        return errors;
    }

    /// <summary>Adds or replaces the incident's account on the input's platform (Admin).</summary>
    public Task<int> SaveAsync(ClaimsPrincipal user, int incidentId, OrgAccountInput input, CancellationToken cancellationToken = default) =>
        commands.RunAsync(user, new CommandSpec(Policies.Admin, "configure the organisation's accounts", incidentId), async command =>
        {
            if (Validate(input) is { Count: > 0 } errors)
                throw new ReplyInputException(string.Join(" ", errors.Values));
            if (!await command.Db.Incidents.AnyAsync(i => i.Id == incidentId, command.CancellationToken))
                throw new CommandException($"There is no incident {incidentId}.", StatusCodes.Status404NotFound);
            var (handle, baseUrl, secretName) = (input.Handle.Trim(), input.BaseUrl.Trim(), input.SecretName.Trim());
            var id = await OrgAccountUpserts.SaveAsync(command.Db, incidentId, input.Platform, handle, baseUrl, secretName, command.Actor, command.CancellationToken);
            await command.RecordAsync(incidentId, new OrgAccountSaved(id, input.Platform, handle, baseUrl, secretName));
            return id;
        }, cancellationToken);

    public Task RemoveAsync(ClaimsPrincipal user, int incidentId, int accountId, CancellationToken cancellationToken = default) =>
        commands.RunAsync(user, new CommandSpec(Policies.Admin, "remove an organisation account", incidentId), async command =>
        {
            // Locked, then deleted: of two Admins removing it at once the second waits, finds no row, and hears so.
            var removed = await OrgAccountLocks.LockAsync(command.Db, incidentId, accountId, command.CancellationToken)
                ?? throw new CommandException($"There is no account {accountId} in this incident.", StatusCodes.Status404NotFound);
            await command.Db.OrgAccounts.Where(a => a.Id == accountId).ExecuteDeleteAsync(command.CancellationToken);
            return await command.RecordAsync(incidentId, new OrgAccountRemoved(accountId, removed.Platform, removed.Handle));
        }, cancellationToken);

    /// <summary>The approval rule, by platform (X, Mastodon, Bluesky) and then role (Operator, Approver, Admin).</summary>
    public async Task<IReadOnlyList<ReplyRule>> RulesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.ReplyRules.AsNoTracking().Select(r => new ReplyRule(r.Platform, r.Role, r.NeedsApproval)).ToListAsync(cancellationToken);
        // Nine rows: ordered here, as the platforms and roles are listed, rather than by a CASE in SQL.
        return [.. rows.OrderBy(r => PlatformOrder(r.Platform)).ThenBy(r => Order(RuleRoles, r.Role))];
    }

    /// <summary>Sets whether <paramref name="role"/>'s replies on <paramref name="platform"/> need approval (Admin).</summary>
    public Task SetRuleAsync(ClaimsPrincipal user, string platform, string role, bool needsApproval, CancellationToken cancellationToken = default) =>
        commands.RunAsync(user, new CommandSpec(Policies.Admin, "change the reply approval rule", null), async command =>
        {
            if (!ReplyPlatforms.IsKnown(platform) || !RuleRoles.Contains(role, StringComparer.Ordinal))
                throw new ReplyInputException("A rule names X, Mastodon or Bluesky and the Operator, Approver or Admin role.");
            await command.Db.ReplyRules.Where(r => r.Platform == platform && r.Role == role)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.NeedsApproval, needsApproval), command.CancellationToken);
            return await command.RecordAsync(null, new ReplyRuleChanged(platform, role, needsApproval));
        }, cancellationToken);

    public async Task<EnquiryRuleSettings> EnquiryRuleAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.EnquiryRules.AsNoTracking()
            .Select(r => new EnquiryRuleSettings(r.RequireQuestion, r.QuestionWords, r.SlaMinutes))
            .SingleAsync(cancellationToken);
    }

    /// <summary>Tunes what makes a post an enquiry and the answer-time target (Admin).</summary>
    public Task SetEnquiryRuleAsync(ClaimsPrincipal user, EnquiryRuleSettings rule, CancellationToken cancellationToken = default) =>
        commands.RunAsync(user, new CommandSpec(Policies.Admin, "change the enquiry rule", null), async command =>
        {
            var words = rule.QuestionWords.Select(w => w.Trim().ToLowerInvariant()).Where(w => w.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
            if (words.Any(w => w.Length > 40 || w.Any(char.IsWhiteSpace)))
                throw new ReplyInputException("Question words are single words of at most 40 letters.");
            if (rule.SlaMinutes is < 1 or > 10080)
                throw new ReplyInputException("The answer-time target is between 1 minute and 7 days (10,080 minutes).");
            // ExecuteUpdate so updated_at is the database's now(), as before.
            await command.Db.EnquiryRules.ExecuteUpdateAsync(s => s
                .SetProperty(r => r.RequireQuestion, rule.RequireQuestion)
                .SetProperty(r => r.QuestionWords, words)
                .SetProperty(r => r.SlaMinutes, rule.SlaMinutes)
                .SetProperty(r => r.UpdatedBy, command.Actor)
                .SetProperty(r => r.UpdatedAt, r => DateTime.UtcNow), command.CancellationToken);
            return await command.RecordAsync(null, new EnquiryRuleChanged(rule.RequireQuestion, words, rule.SlaMinutes));
        }, cancellationToken);

    private static int PlatformOrder(string platform) => Order(ReplyPlatforms.All, platform);

    private static int Order(IReadOnlyList<string> order, string value)
    {
        for (var i = 0; i < order.Count; i++)
        {
            if (string.Equals(order[i], value, StringComparison.Ordinal))
                return i;
        }
        return order.Count;
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)*$")]
    private static partial Regex SecretNamePattern();
}
