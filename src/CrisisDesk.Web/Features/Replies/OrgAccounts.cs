using System.Security.Claims;
using System.Text.RegularExpressions;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Dapper;
using Npgsql;

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
/// never stored, as sources name theirs.
/// </summary>
public sealed partial class OrgAccountStore(NpgsqlDataSource dataSource, CommandAuthorizer authorizer, SourceSecrets secrets)
{
    private const string Columns = "id, incident_id AS IncidentId, platform, handle, base_url AS BaseUrl, secret_name AS SecretName, created_by AS CreatedBy, updated_at AS UpdatedAt";

    public async Task<IReadOnlyList<OrgAccount>> ListAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<OrgAccount>(new CommandDefinition(
            $"SELECT {Columns} FROM org_accounts WHERE incident_id = @incidentId ORDER BY array_position(ARRAY['x','mastodon','bluesky'], platform)",
            new { incidentId }, cancellationToken: cancellationToken))).ToList();
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
    public async Task<int> SaveAsync(ClaimsPrincipal user, int incidentId, OrgAccountInput input, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "configure the organisation's accounts", incidentId, cancellationToken);
        if (Validate(input) is { Count: > 0 } errors)
            throw new ReplyInputException(string.Join(" ", errors.Values));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM incidents WHERE id = @incidentId)", new { incidentId }, transaction))
            throw new CommandException($"There is no incident {incidentId}.", StatusCodes.Status404NotFound);
        var (handle, baseUrl, secretName) = (input.Handle.Trim(), input.BaseUrl.Trim(), input.SecretName.Trim());
        var id = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO org_accounts (incident_id, platform, handle, base_url, secret_name, created_by)
            VALUES (@incidentId, @platform, @handle, @baseUrl, @secretName, @actor)
            ON CONFLICT (incident_id, platform) DO UPDATE SET handle = excluded.handle, base_url = excluded.base_url,
                secret_name = excluded.secret_name, updated_at = now()
            RETURNING id
            """, new { incidentId, platform = input.Platform, handle, baseUrl, secretName, actor = user.ActorName() }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), incidentId,
            new OrgAccountSaved(id, input.Platform, handle, baseUrl, secretName), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    public async Task RemoveAsync(ClaimsPrincipal user, int incidentId, int accountId, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "remove an organisation account", incidentId, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var removed = await connection.QuerySingleOrDefaultAsync<RemovedAccount>(
            "DELETE FROM org_accounts WHERE id = @accountId AND incident_id = @incidentId RETURNING platform, handle", new { accountId, incidentId }, transaction)
            ?? throw new CommandException($"There is no account {accountId} in this incident.", StatusCodes.Status404NotFound);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), incidentId,
            new OrgAccountRemoved(accountId, removed.Platform, removed.Handle), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ReplyRule>> RulesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ReplyRule>(new CommandDefinition("""
            SELECT platform, role, needs_approval AS NeedsApproval FROM reply_rules
             ORDER BY array_position(ARRAY['x','mastodon','bluesky'], platform), array_position(ARRAY['Operator','Approver','Admin'], role)
            """, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>Sets whether <paramref name="role"/>'s replies on <paramref name="platform"/> need approval (Admin).</summary>
    public async Task SetRuleAsync(ClaimsPrincipal user, string platform, string role, bool needsApproval, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "change the reply approval rule", null, cancellationToken);
        if (!ReplyPlatforms.IsKnown(platform) || role is not (Roles.Operator or Roles.Approver or Roles.Admin))
            throw new ReplyInputException("A rule names X, Mastodon or Bluesky and the Operator, Approver or Admin role.");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE reply_rules SET needs_approval = @needsApproval WHERE platform = @platform AND role = @role",
            new { platform, role, needsApproval }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), null, new ReplyRuleChanged(platform, role, needsApproval), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<EnquiryRuleSettings> EnquiryRuleAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadEnquiryRuleAsync(connection, null, cancellationToken);
    }

    internal static async Task<EnquiryRuleSettings> ReadEnquiryRuleAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleAsync<EnquiryRuleRow>(new CommandDefinition(
            "SELECT require_question AS RequireQuestion, question_words AS QuestionWords, sla_minutes AS SlaMinutes FROM enquiry_rule", transaction: transaction, cancellationToken: cancellationToken));
        return new EnquiryRuleSettings(row.RequireQuestion, row.QuestionWords, row.SlaMinutes);
    }

    /// <summary>Tunes what makes a post an enquiry and the answer-time target (Admin).</summary>
    public async Task SetEnquiryRuleAsync(ClaimsPrincipal user, EnquiryRuleSettings rule, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "change the enquiry rule", null, cancellationToken);
        var words = rule.QuestionWords.Select(w => w.Trim().ToLowerInvariant()).Where(w => w.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        if (words.Any(w => w.Length > 40 || w.Any(char.IsWhiteSpace)))
            throw new ReplyInputException("Question words are single words of at most 40 letters.");
        if (rule.SlaMinutes is < 1 or > 10080)
            throw new ReplyInputException("The answer-time target is between 1 minute and 7 days (10,080 minutes).");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync("""
            UPDATE enquiry_rule SET require_question = @requireQuestion, question_words = @words, sla_minutes = @slaMinutes, updated_by = @actor, updated_at = now()
            """, new { requireQuestion = rule.RequireQuestion, words, slaMinutes = rule.SlaMinutes, actor = user.ActorName() }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), null, new EnquiryRuleChanged(rule.RequireQuestion, words, rule.SlaMinutes), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private sealed record RemovedAccount(string Platform, string Handle);

    /// <summary>Settable properties: Dapper reads a text[] column into a property, not into a record's constructor.</summary>
    private sealed class EnquiryRuleRow
    {
        public bool RequireQuestion { get; set; }
        public string[] QuestionWords { get; set; } = [];
        public int SlaMinutes { get; set; }
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)*$")]
    private static partial Regex SecretNamePattern();
}
