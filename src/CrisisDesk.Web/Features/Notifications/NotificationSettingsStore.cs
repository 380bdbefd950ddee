using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Microsoft.EntityFrameworkCore;

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
public sealed class NotificationSettingsStore(IDbContextFactory<CrisisDeskDbContext> contexts, CommandAuthorizer authorizer)
{
    public async Task<NotificationSettings> GetAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var name = user.Identity?.Name ?? throw Denied();
        var person = await db.Users.AsNoTracking()
                         .Where(u => u.UserName.ToLower() == name.ToLower() && !u.Disabled)
                         .Select(u => new { u.Id, u.Role })
                         .SingleOrDefaultAsync(cancellationToken)
                     ?? throw Denied();
        var row = await db.NotificationSettings.AsNoTracking().SingleOrDefaultAsync(s => s.UserId == person.Id, cancellationToken);
        var own = await db.NotificationRules.AsNoTracking().Where(r => r.UserId == person.Id).ToDictionaryAsync(r => r.Kind, cancellationToken);
        return new NotificationSettings
        {
            Email = row?.Email,
            Phone = row?.Phone,
            QuietFrom = row?.QuietFrom,
            QuietUntil = row?.QuietUntil,
            TimeZone = row?.TimeZone ?? "UTC",
            Rules = [.. RoleDefaults.For(person.Role).Select(d => own.TryGetValue(d.Kind, out var r) ? new NotificationRule(r.Kind, r.InApp, r.Email, r.Sms, r.MinSeverity) : d)],
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

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Database.AutoSavepointsEnabled = false; // a failed save rolls back whole
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var name = user.Identity?.Name ?? throw Denied();
        // The person's row locked: two saves of one person's settings at once queue here, so the second updates what
        // the first inserted, as the upserts did before, instead of failing on the primary key.
        var userId = await NotificationLocks.LockActiveUserAsync(db, name, cancellationToken) ?? throw Denied();
        // ExecuteUpdate so updated_at is the database's now(), as before; a first save inserts (updated_at by its default).
        var updated = await db.NotificationSettings.Where(s => s.UserId == userId).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Email, email)
            .SetProperty(r => r.Phone, phone)
            .SetProperty(r => r.QuietFrom, settings.QuietFrom)
            .SetProperty(r => r.QuietUntil, settings.QuietUntil)
            .SetProperty(r => r.TimeZone, settings.TimeZone)
            .SetProperty(r => r.UpdatedAt, r => DateTime.UtcNow), cancellationToken);
        if (updated == 0)
        {
            db.NotificationSettings.Add(new NotificationSettingsRow
            {
                UserId = userId, Email = email, Phone = phone, QuietFrom = settings.QuietFrom, QuietUntil = settings.QuietUntil, TimeZone = settings.TimeZone,
            });
        }
        var rules = await db.NotificationRules.Where(r => r.UserId == userId).ToDictionaryAsync(r => r.Kind, cancellationToken);
        foreach (var rule in settings.Rules)
        {
            // A kind given twice: the last one wins, as the upsert per rule did.
            if (!rules.TryGetValue(rule.Kind, out var row))
            {
                row = new NotificationRuleRow { UserId = userId, Kind = rule.Kind };
                db.NotificationRules.Add(row);
                rules[rule.Kind] = row;
            }
            row.InApp = rule.InApp;
            row.Email = rule.Email;
            row.Sms = rule.Sms;
            row.MinSeverity = rule.Kind == NotificationKinds.Rumour ? rule.MinSeverity : null;
        }
        await db.SaveChangesAsync(cancellationToken);
        await EventLog.AppendAsync(db, user.ActorName(), null,
            new NotificationSettingsChanged(email is not null, phone is not null, settings.Quiet?.ToString(), [.. settings.Rules.Select(r => r.Describe())]),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static CommandDeniedException Denied() => new("change their notification settings", Policies.Viewer);
}
