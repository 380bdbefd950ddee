using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>A person's notification settings as the settings page edits them.</summary>
public sealed class NotificationSettings
{
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public TimeOnly? QuietFrom { get; set; }
    public TimeOnly? QuietUntil { get; set; }
    public string TimeZone { get; set; } = "UTC";
    public List<NotificationRule> Rules { get; set; } = [];

    public QuietHours? Quiet => QuietFrom is { } from && QuietUntil is { } until ? new QuietHours(from, until, TimeZone) : null;
}

/// <summary>Settings that cannot be saved, each problem under its field (email, phone, quietHours, timeZone, rules).</summary>
public sealed class NotificationSettingsException(IReadOnlyDictionary<string, string> problems)
    : CommandException(string.Join(" ", problems.Values), StatusCodes.Status400BadRequest)
{
    public IReadOnlyDictionary<string, string> Problems { get; } = problems;
}

/// <summary>Reads and saves a person's own settings (any signed-in person, for themselves only), recorded in the log.</summary>
public sealed class NotificationSettingsStore(NpgsqlDataSource dataSource, CommandAuthorizer authorizer)
{
    private sealed record SettingsRow(string? Email, string? Phone, TimeOnly? QuietFrom, TimeOnly? QuietUntil, string TimeZone);

    private sealed record RuleRow(string Kind, bool InApp, bool Email, bool Sms, string? MinSeverity);

    public async Task<NotificationSettings> GetAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var (userId, role) = await UserAsync(connection, user, null, cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<SettingsRow>(new CommandDefinition("""
            SELECT email, phone, quiet_from AS QuietFrom, quiet_until AS QuietUntil, time_zone AS TimeZone FROM notification_settings WHERE user_id = @userId
            """, new { userId }, cancellationToken: cancellationToken));
        var own = (await connection.QueryAsync<RuleRow>(new CommandDefinition("""
            SELECT kind, in_app AS InApp, email, sms, min_severity AS MinSeverity FROM notification_rules WHERE user_id = @userId
            """, new { userId }, cancellationToken: cancellationToken))).ToDictionary(r => r.Kind);
        return new NotificationSettings
        {
            Email = row?.Email,
            Phone = row?.Phone,
            QuietFrom = row?.QuietFrom,
            QuietUntil = row?.QuietUntil,
            TimeZone = row?.TimeZone ?? "UTC",
            Rules = [.. RoleDefaults.For(role).Select(d => own.TryGetValue(d.Kind, out var r) ? new NotificationRule(r.Kind, r.InApp, r.Email, r.Sms, r.MinSeverity) : d)],
        };
    }

    /// <exception cref="NotificationSettingsException">Something does not hold; nothing was saved.</exception>
    public async Task SaveAsync(ClaimsPrincipal user, NotificationSettings settings, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Viewer, "change their notification settings", null, cancellationToken);
        var email = string.IsNullOrWhiteSpace(settings.Email) ? null : settings.Email.Trim();
        var phone = string.IsNullOrWhiteSpace(settings.Phone) ? null : Contacts.NormalisePhone(settings.Phone);
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        if (email is not null && Contacts.EmailProblem(email) is { } emailProblem)
            problems["email"] = emailProblem;
        if (phone is not null && Contacts.PhoneProblem(phone) is not null)
            problems["phone"] = Contacts.PhoneProblem(settings.Phone!.Trim())!;
        if ((settings.QuietFrom is null) != (settings.QuietUntil is null))
            problems["quietHours"] = "Quiet hours need both a start and an end (or neither).";
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(settings.TimeZone, out _))
            problems["timeZone"] = $"\"{settings.TimeZone}\" is not a time zone (Europe/London, UTC).";
        foreach (var rule in settings.Rules)
        {
            if (!NotificationKinds.All.Contains(rule.Kind))
                problems["rules"] = $"\"{rule.Kind}\" is not a kind of notification.";
            else if (rule.MinSeverity is not null && !RumourSeverities.All.Contains(rule.MinSeverity))
                problems["rules"] = $"\"{rule.MinSeverity}\" is not a rumour severity.";
            else if (rule.Email && email is null)
                problems["email"] = $"Give an email address to be told by email ({NotificationKinds.Label(rule.Kind).ToLowerInvariant()}).";
            else if (rule.Sms && phone is null)
                problems["phone"] = $"Give a phone number to be told by SMS ({NotificationKinds.Label(rule.Kind).ToLowerInvariant()}).";
        }
        if (problems.Count > 0)
            throw new NotificationSettingsException(problems);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var (userId, _) = await UserAsync(connection, user, transaction, cancellationToken);
        await connection.ExecuteAsync("""
            INSERT INTO notification_settings (user_id, email, phone, quiet_from, quiet_until, time_zone)
            VALUES (@userId, @email, @phone, @quietFrom, @quietUntil, @timeZone)
            ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, phone = EXCLUDED.phone, quiet_from = EXCLUDED.quiet_from,
                quiet_until = EXCLUDED.quiet_until, time_zone = EXCLUDED.time_zone, updated_at = now()
            """, new { userId, email, phone, quietFrom = settings.QuietFrom, quietUntil = settings.QuietUntil, timeZone = settings.TimeZone }, transaction);
        foreach (var rule in settings.Rules)
        {
            await connection.ExecuteAsync("""
                INSERT INTO notification_rules (user_id, kind, in_app, email, sms, min_severity) VALUES (@userId, @Kind, @InApp, @Email, @Sms, @MinSeverity)
                ON CONFLICT (user_id, kind) DO UPDATE SET in_app = EXCLUDED.in_app, email = EXCLUDED.email, sms = EXCLUDED.sms, min_severity = EXCLUDED.min_severity
                """, new { userId, rule.Kind, rule.InApp, rule.Email, rule.Sms, MinSeverity = rule.Kind == NotificationKinds.Rumour ? rule.MinSeverity : null }, transaction);
        }
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), null,
            new NotificationSettingsChanged(email is not null, phone is not null, settings.Quiet?.ToString(), [.. settings.Rules.Select(r => r.Describe())]),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    internal static async Task<(int UserId, string Role)> UserAsync(NpgsqlConnection connection, ClaimsPrincipal user, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var name = user.Identity?.Name ?? throw new CommandDeniedException("change their notification settings", Policies.Viewer);
        return await connection.QuerySingleOrDefaultAsync<(int, string)?>(new CommandDefinition(
                   "SELECT id, role FROM users WHERE lower(user_name) = lower(@name) AND NOT disabled", new { name }, transaction, cancellationToken: cancellationToken))
               ?? throw new CommandDeniedException("change their notification settings", Policies.Viewer);
    }
}
