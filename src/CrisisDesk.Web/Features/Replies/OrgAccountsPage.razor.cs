using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Incidents;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace CrisisDesk.Web.Features.Replies;

/// <summary>
/// The organisation's accounts for one incident, the reply approval rule and the enquiry rule: Operators read them,
/// Admins change them. Every button goes through <see cref="OrgAccountStore"/>, which checks the role again.
/// </summary>
public sealed partial class OrgAccountsPage
{
    private static readonly string[] RuleRoles = [Roles.Operator, Roles.Approver, Roles.Admin];

    /// <summary>One platform's form, filled from the stored account.</summary>
    private sealed class AccountForm(string platform)
    {
        public string Platform { get; } = platform;
        public int? Id { get; set; }
        public string? Handle { get; set; }
        public string? BaseUrl { get; set; }
        public string? SecretName { get; set; }
        public IReadOnlyDictionary<string, string> Errors { get; set; } = new Dictionary<string, string>();
    }

    private IncidentSummary? _incident;
    private bool _notFound;
    private bool _canManage;
    private bool _busy;
    private string? _error;
    private List<AccountForm> _forms = [];
    private IReadOnlyList<ReplyRule> _rules = [];
    private bool _requireQuestion = true;
    private string _questionWords = "";
    private int _slaMinutes = 30;

    [Parameter] public int IncidentId { get; set; }

    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = default!;

    [Inject] private OrgAccountStore Accounts { get; set; } = default!;
    [Inject] private IncidentCommands Incidents { get; set; } = default!;
    [Inject] private IAuthorizationService Authorization { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        _incident = await Incidents.GetAsync(IncidentId);
        _notFound = _incident is null;
        if (_incident is null)
            return;
        _canManage = (await Authorization.AuthorizeAsync((await Auth).User, Policies.Admin)).Succeeded;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        var stored = await Accounts.ListAsync(IncidentId);
        _forms = ReplyPlatforms.All.Select(platform =>
        {
            var account = stored.FirstOrDefault(a => a.Platform == platform);
            return new AccountForm(platform)
            {
                Id = account?.Id,
                Handle = account?.Handle,
                // X has one API address; a Mastodon instance and a Bluesky PDS are the account's own.
                BaseUrl = account?.BaseUrl ?? (platform == "x" ? ReplyPlatforms.BaseUrlHint(platform) : null),
                SecretName = account?.SecretName,
            };
        }).ToList();
        _rules = await Accounts.RulesAsync();
        var rule = await Accounts.EnquiryRuleAsync();
        (_requireQuestion, _questionWords, _slaMinutes) = (rule.RequireQuestion, string.Join(", ", rule.QuestionWords), rule.SlaMinutes);
    }

    private async Task SaveAsync(AccountForm form)
    {
        var input = new OrgAccountInput(form.Platform, form.Handle ?? "", form.BaseUrl ?? "", form.SecretName ?? "");
        form.Errors = Accounts.Validate(input);
        if (form.Errors.Count > 0)
            return;
        await RunAsync(async user =>
        {
            await Accounts.SaveAsync(user, IncidentId, input);
            Snackbar.Add($"{ReplyPlatforms.Label(form.Platform)} account saved.", Severity.Success);
        });
    }

    private Task RemoveAsync(AccountForm form) => RunAsync(async user =>
    {
        await Accounts.RemoveAsync(user, IncidentId, form.Id!.Value);
        Snackbar.Add($"{ReplyPlatforms.Label(form.Platform)} account removed.", Severity.Info);
    });

    private Task SetRuleAsync(string platform, string role, bool needsApproval) =>
        RunAsync(user => Accounts.SetRuleAsync(user, platform, role, needsApproval));

    private Task SaveEnquiryRuleAsync() => RunAsync(async user =>
    {
        var words = _questionWords.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        await Accounts.SetEnquiryRuleAsync(user, new EnquiryRuleSettings(_requireQuestion, words, _slaMinutes));
        Snackbar.Add("Enquiry rule saved.", Severity.Success);
    });

    private async Task RunAsync(Func<System.Security.Claims.ClaimsPrincipal, Task> command)
    {
        _busy = true;
        _error = null;
        try
        {
            await command((await Auth).User);
            await LoadAsync();
        }
        catch (CommandException e)
        {
            _error = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }
}
