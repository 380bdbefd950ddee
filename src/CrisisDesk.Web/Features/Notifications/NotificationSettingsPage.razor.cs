using System.Security.Claims;
using CrisisDesk.Web.Features.Commands;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace CrisisDesk.Web.Features.Notifications;

public partial class NotificationSettingsPage
{
    /// <summary>A rule as the form edits it.</summary>
    private sealed class EditableRule(NotificationRule rule)
    {
        public string Kind { get; } = rule.Kind;
        public bool InApp { get; set; } = rule.InApp;
        public bool Email { get; set; } = rule.Email;
        public bool Sms { get; set; } = rule.Sms;
        public string? MinSeverity { get; set; } = rule.MinSeverity ?? (rule.Kind == NotificationKinds.Rumour ? "High" : null);

        public NotificationRule ToRule() => new(Kind, InApp, Email, Sms, MinSeverity);
    }

    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = default!;

    private ClaimsPrincipal _user = new();
    private NotificationSettings? _model;
    private List<EditableRule> _rules = [];
    private TimeSpan? _quietFrom;
    private TimeSpan? _quietUntil;
    private IReadOnlyDictionary<string, string> _problems = new Dictionary<string, string>();
    private bool _saving;

    protected override async Task OnInitializedAsync()
    {
        _user = (await Auth).User;
        _model = await Store.GetAsync(_user);
        _rules = [.. _model.Rules.Select(r => new EditableRule(r))];
        _quietFrom = _model.QuietFrom?.ToTimeSpan();
        _quietUntil = _model.QuietUntil?.ToTimeSpan();
    }

    private bool Has(string field) => _problems.ContainsKey(field);

    private string? Problem(string field) => _problems.GetValueOrDefault(field);

    private async Task SaveAsync()
    {
        if (_model is null)
            return;
        _saving = true;
        _model.QuietFrom = _quietFrom is { } from ? TimeOnly.FromTimeSpan(from) : null;
        _model.QuietUntil = _quietUntil is { } until ? TimeOnly.FromTimeSpan(until) : null;
        _model.Rules = [.. _rules.Select(r => r.ToRule())];
        try
        {
            await Store.SaveAsync(_user, _model);
            _problems = new Dictionary<string, string>();
            Snackbar.Add("Saved: you will be told as set here.", Severity.Success);
        }
        catch (NotificationSettingsException e)
        {
            _problems = e.Problems;
        }
        catch (CommandException e)
        {
            _problems = new Dictionary<string, string> { ["rules"] = e.Message };
        }
        finally
        {
            _saving = false;
        }
    }
}
