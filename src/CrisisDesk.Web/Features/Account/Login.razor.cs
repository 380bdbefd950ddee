using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Account;

public partial class Login
{
    [Inject] private IOptions<SingleSignOnOptions> SsoOptions { get; set; } = default!;

    [SupplyParameterFromQuery] public string? ReturnUrl { get; set; }
    [SupplyParameterFromQuery(Name = "failed")] public int? FailedFlag { get; set; }
    [SupplyParameterFromQuery(Name = "sso")] public string? SingleSignOnRefusal { get; set; }
    [SupplyParameterFromQuery(Name = "signedOut")] public int? SignedOutFlag { get; set; }

    private SingleSignOnOptions Sso => SsoOptions.Value;
    private bool Failed => FailedFlag == 1;
    private bool SignedOut => SignedOutFlag == 1 && Sso.Enabled;

    private string SingleSignOnHref => "/account/sso" + (AccountEndpoints.IsLocal(ReturnUrl) ? $"?returnUrl={Uri.EscapeDataString(ReturnUrl!)}" : "");

    /// <summary>Why the last single sign-on was refused, in words; the code comes from the server, never free text.</summary>
    private string? SingleSignOnMessage => SingleSignOnRefusal switch
    {
        null or "" => null,
        SingleSignOnAccounts.Refusals.NoRole => $"You signed in at {Sso.DisplayName}, but none of your groups gives you a role in CrisisDesk, so you are not signed in. Ask an administrator to add you to a CrisisDesk group.",
        SingleSignOnAccounts.Refusals.NameTaken => $"A local CrisisDesk account already has your user name, so your {Sso.DisplayName} sign-in was not linked to it and you are not signed in. Ask an administrator to rename or remove the local account.",
        SingleSignOnAccounts.Refusals.Disabled => "Your CrisisDesk account is disabled, so you are not signed in. Ask an administrator.",
        SingleSignOnAccounts.Refusals.NoName => $"{Sso.DisplayName} did not give a usable user name (2 to 64 letters, digits, dots, dashes, underscores or @), so you are not signed in.",
        SingleSignOnAccounts.Refusals.Token => $"The answer from {Sso.DisplayName} failed its checks (signature, audience, nonce, issuer or expiry), so nobody was signed in. Try again; if it happens again, tell an administrator.",
        _ => $"Signing in with {Sso.DisplayName} did not complete, so nobody was signed in. Try again, or use a local account if you have one.",
    };
}
