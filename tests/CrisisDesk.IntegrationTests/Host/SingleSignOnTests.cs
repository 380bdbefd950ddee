using System.Net;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Xunit;

namespace CrisisDesk.IntegrationTests.Host;

/// <summary>The real host configured for single sign-on against the in-test OpenID Connect provider.</summary>
public sealed class SingleSignOnFactory : CrisisDeskFactory, IAsyncLifetime
{
    public const string ClientId = "crisisdesk-tests";
    public const string ClientSecret = "fake-provider-client-secret-4b1d";
    public const string ProviderName = "Contoso ID";

    public FakeOidcProvider Provider { get; private set; } = null!;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["CrisisDesk:Oidc:Authority"] = Provider.Issuer,
        ["CrisisDesk:Oidc:ClientId"] = ClientId,
        // The secret by name, from CrisisDesk:Secrets, as user secrets or the environment would hold it.
        ["CrisisDesk:Oidc:ClientSecret"] = "Oidc:ClientSecret",
        ["CrisisDesk:Secrets:Oidc:ClientSecret"] = ClientSecret,
        ["CrisisDesk:Oidc:RoleClaim"] = "groups",
        ["CrisisDesk:Oidc:RoleMap:crisis-operators"] = Roles.Operator,
        ["CrisisDesk:Oidc:RoleMap:crisis-approvers"] = Roles.Approver,
        ["CrisisDesk:Oidc:RoleMap:crisis-admins"] = Roles.Admin,
        ["CrisisDesk:Oidc:DisplayName"] = ProviderName,
    };

    async Task IAsyncLifetime.InitializeAsync()
    {
        Provider = await FakeOidcProvider.StartAsync(ClientId, ClientSecret);
        await InitializeAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Provider.DisposeAsync();
    }
}

/// <summary>
/// OpenID Connect sign-in through the real redirects (the app's challenge, the provider's authorize and token
/// endpoints, the app's callback): accounts provisioned by issuer and subject, roles mapped at every sign-in, every
/// refusal clear and recorded with nobody signed in, and sign-out ending both sessions.
/// </summary>
public sealed class SingleSignOnTests(SingleSignOnFactory app) : IClassFixture<SingleSignOnFactory>
{
    private FakeOidcProvider Provider => app.Provider;

    private static OidcPerson Person(params string[] groups)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        return new OidcPerson($"sub-{id}", $"sso.{id}", $"Sso Person {id}", groups);
    }

    /// <summary>Clicks "Sign in with …" as a browser would: the app's challenge, the provider's redirect back, the callback.</summary>
    private async Task<(HttpResponseMessage Callback, HttpClient Client)> SignInThroughProviderAsync(OidcPerson person, IdTokenFlaw flaw = IdTokenFlaw.None, string? returnUrl = null)
    {
        Provider.NextPerson = person;
        Provider.NextFlaw = flaw;
        var client = app.NewClient(asScript: false);
        var challenge = await client.GetAsync("/account/sso" + (returnUrl is null ? "" : $"?returnUrl={Uri.EscapeDataString(returnUrl)}"));
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        Assert.StartsWith($"{Provider.Issuer}/authorize?", challenge.Headers.Location!.ToString(), StringComparison.Ordinal);
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var authorize = await browser.GetAsync(challenge.Headers.Location);
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var back = authorize.Headers.Location!;
        Assert.Equal(SingleSignOn.CallbackPath, back.AbsolutePath);
        var callback = await client.GetAsync(back.PathAndQuery);
        if (flaw == IdTokenFlaw.None && callback.Headers.Location?.OriginalString is "/login?sso=failed" or "/login?sso=token")
            Assert.Fail($"The sign-in failed: {await ScalarAsync<string>("SELECT payload->>'reason' FROM events WHERE action = 'account.sso-sign-in-refused' ORDER BY seq DESC LIMIT 1")}");
        return (callback, client);
    }

    private static string? AuthCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => c.Split(';')[0]).FirstOrDefault(c => c.StartsWith("crisisdesk.auth=", StringComparison.Ordinal) && c.Length > "crisisdesk.auth=".Length)
            : null;

    private async Task<T> ScalarAsync<T>(string sql, object? args = null)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, args))!;
    }

    private Task<long> EventCountAsync(string action, string? actor = null) =>
        ScalarAsync<long>("SELECT count(*) FROM events WHERE action = @action AND (@actor::text IS NULL OR actor = @actor)", new { action, actor });

    [Fact]
    public async Task First_sign_in_provisions_the_person_with_the_mapped_role_and_records_it()
    {
        var person = Person("staff", "crisis-approvers");
        var (callback, client) = await SignInThroughProviderAsync(person, returnUrl: "/approvals");

        Assert.Equal(HttpStatusCode.OK, callback.StatusCode);
        Assert.NotNull(AuthCookie(callback));
        var page = await callback.Content.ReadAsStringAsync();
        Assert.Contains("url=/approvals", page, StringComparison.Ordinal);
        // Signed in as an Approver: the audit log (Approver and above) answers.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/audit")).StatusCode);

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<(string Role, string DisplayName, string Issuer, string Subject)>(
            "SELECT role, display_name, external_issuer, external_subject FROM users WHERE user_name = @userName", new { userName = person.UserName });
        Assert.Equal((Roles.Approver, person.Name, Provider.Issuer, person.Subject), row);
        Assert.Equal(1, await EventCountAsync("user.sso-provisioned"));
        Assert.Equal(1, await EventCountAsync("account.sso-signed-in", person.UserName));
        var payload = await ScalarAsync<string>("SELECT payload::text FROM events WHERE action = 'account.sso-signed-in' AND actor = @actor", new { actor = person.UserName });
        Assert.Contains("\"role\": \"Approver\"", payload, StringComparison.Ordinal);
        Assert.Contains(SingleSignOnFactory.ProviderName, payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_flow_uses_PKCE_state_and_nonce_and_sends_the_secret_only_in_the_token_request()
    {
        var before = Provider.AcceptedTokenRequests.Count;
        var (callback, _) = await SignInThroughProviderAsync(Person("crisis-operators"));
        Assert.Equal(HttpStatusCode.OK, callback.StatusCode);

        var authorize = Provider.AuthorizeRequests.Last();
        Assert.Equal("code", authorize["response_type"]);
        Assert.Equal("S256", authorize["code_challenge_method"]);
        Assert.True(authorize["code_challenge"].Length >= 43);
        Assert.False(string.IsNullOrEmpty(authorize["state"]));
        Assert.False(string.IsNullOrEmpty(authorize["nonce"]));
        Assert.DoesNotContain("client_secret", authorize.Keys);
        // The provider accepted the token request only after the verifier matched the challenge.
        Assert.Equal(before + 1, Provider.AcceptedTokenRequests.Count);
        Assert.False(string.IsNullOrEmpty(Provider.AcceptedTokenRequests.Last()["code_verifier"]));
    }

    [Fact]
    public async Task The_role_is_mapped_again_at_every_sign_in_and_a_role_removed_at_the_provider_is_removed_here()
    {
        var person = Person("crisis-approvers");
        var (first, firstClient) = await SignInThroughProviderAsync(person);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await firstClient.GetAsync("/api/audit")).StatusCode);

        // The approvers group is taken away at the provider; the person is still an operator there.
        var (second, secondClient) = await SignInThroughProviderAsync(person with { Groups = ["crisis-operators"] });
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(Roles.Operator, await ScalarAsync<string>("SELECT role FROM users WHERE user_name = @userName", new { userName = person.UserName }));
        Assert.Equal(HttpStatusCode.Forbidden, (await secondClient.GetAsync("/api/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await secondClient.GetAsync("/api/incidents")).StatusCode);
        // The approver's earlier session ended with the role change.
        Assert.Equal(HttpStatusCode.Unauthorized, (await firstClient.GetAsync("/api/incidents")).StatusCode);
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM users WHERE external_subject = @subject", new { subject = person.Subject }));
        Assert.Equal(1L, await ScalarAsync<long>(
            "SELECT count(*) FROM events WHERE action = 'user.role-changed' AND payload->>'userName' = @userName AND payload->>'to' = 'Operator'", new { userName = person.UserName }));
    }

    [Fact]
    public async Task A_person_with_no_mapped_role_is_refused_with_a_clear_page_and_not_signed_in()
    {
        var person = Person("finance", "everyone");
        var (callback, client) = await SignInThroughProviderAsync(person);

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal("/login?sso=no-role", callback.Headers.Location!.OriginalString);
        Assert.Null(AuthCookie(callback));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM users WHERE external_subject = @subject", new { subject = person.Subject }));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/incidents")).StatusCode);
        var refusal = await ScalarAsync<string>(
            "SELECT payload->>'reason' FROM events WHERE action = 'account.sso-sign-in-refused' AND payload->>'subject' = @subject", new { subject = person.Subject });
        Assert.Contains("no mapped role", refusal, StringComparison.Ordinal);
        Assert.Contains("finance", refusal, StringComparison.Ordinal);

        var page = await client.GetStringAsync(callback.Headers.Location);
        Assert.Contains("none of your groups gives you a role in CrisisDesk", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_local_account_with_the_same_user_name_is_not_taken_over()
    {
        var (localName, localPassword) = await app.CreateUserAsync(Roles.Viewer);
        var person = new OidcPerson($"sub-{Guid.NewGuid():N}", localName, "Someone Else", ["crisis-admins"]);
        var (callback, _) = await SignInThroughProviderAsync(person);

        Assert.Equal("/login?sso=name-taken", callback.Headers.Location!.OriginalString);
        Assert.Null(AuthCookie(callback));
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var local = await connection.QuerySingleAsync<(string Role, string? Issuer)>(
            "SELECT role, external_issuer FROM users WHERE user_name = @localName", new { localName });
        Assert.Equal((Roles.Viewer, (string?)null), local);
        // The local account still signs in with its password.
        await app.SignedInClientAsync(localName, localPassword);
        var page = await app.NewClient().GetStringAsync("/login?sso=name-taken");
        Assert.Contains("A local CrisisDesk account already has your user name", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(IdTokenFlaw.WrongSignature, "Signature")]
    [InlineData(IdTokenFlaw.WrongAudience, "Audience")]
    [InlineData(IdTokenFlaw.WrongNonce, "Nonce")]
    [InlineData(IdTokenFlaw.Expired, "Expired")]
    [InlineData(IdTokenFlaw.WrongIssuer, "Issuer")]
    public async Task A_token_that_fails_a_check_signs_nobody_in_and_says_so(IdTokenFlaw flaw, string exceptionNamePart)
    {
        var person = Person("crisis-admins");
        var refusedBefore = await EventCountAsync("account.sso-sign-in-refused");
        var (callback, client) = await SignInThroughProviderAsync(person, flaw);

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal("/login?sso=token", callback.Headers.Location!.OriginalString);
        Assert.Null(AuthCookie(callback));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/incidents")).StatusCode);
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM users WHERE user_name = @userName", new { userName = person.UserName }));
        Assert.Equal(refusedBefore + 1, await EventCountAsync("account.sso-sign-in-refused"));
        var reason = await ScalarAsync<string>("SELECT payload->>'reason' FROM events WHERE action = 'account.sso-sign-in-refused' ORDER BY seq DESC LIMIT 1");
        Assert.Contains(exceptionNamePart, reason, StringComparison.OrdinalIgnoreCase);
        var page = await client.GetStringAsync(callback.Headers.Location);
        Assert.Contains("failed its checks", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_callback_with_a_forged_state_signs_nobody_in()
    {
        Provider.NextPerson = Person("crisis-admins");
        var client = app.NewClient(asScript: false);
        var challenge = await client.GetAsync("/account/sso");
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var back = (await browser.GetAsync(challenge.Headers.Location)).Headers.Location!;
        var forged = System.Text.RegularExpressions.Regex.Replace(back.PathAndQuery, "state=[^&]+", "state=forged");

        var callback = await client.GetAsync(forged);
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.StartsWith("/login?sso=", callback.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Null(AuthCookie(callback));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/incidents")).StatusCode);
    }

    [Fact]
    public async Task Sign_out_revokes_the_session_and_ends_the_providers_session_too()
    {
        var person = Person("crisis-operators");
        var (callback, client) = await SignInThroughProviderAsync(person);
        var cookie = AuthCookie(callback)!;
        var token = await client.GetStringAsync("/login");
        var antiforgery = System.Text.RegularExpressions.Regex.Match(token, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"").Groups[1].Value;

        var logout = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = antiforgery }));
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        var endSession = logout.Headers.Location!;
        Assert.StartsWith($"{Provider.Issuer}/logout?", endSession.ToString(), StringComparison.Ordinal);

        // The old cookie no longer counts, replayed by anyone.
        using var replay = new HttpRequestMessage(HttpMethod.Get, "/api/incidents");
        replay.Headers.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.NewClient().SendAsync(replay)).StatusCode);
        Assert.Equal(1, await EventCountAsync("account.signed-out", person.UserName));

        // The provider gets the id token as the hint and sends the browser back through the app's signed-out callback.
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var atProvider = await browser.GetAsync(endSession);
        var request = Provider.EndSessionRequests.Last();
        Assert.Equal(person.Subject, FakeOidcProvider.ReadPayload(request["id_token_hint"]).GetProperty("sub").GetString());
        Assert.Equal(HttpStatusCode.Redirect, atProvider.StatusCode);
        Assert.Equal(SingleSignOn.SignedOutCallbackPath, atProvider.Headers.Location!.AbsolutePath);
        var signedOut = await client.GetAsync(atProvider.Headers.Location.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal("/login?signedOut=1", signedOut.Headers.Location!.OriginalString);
        Assert.Contains("You are signed out, here and at Contoso ID", await client.GetStringAsync("/login?signedOut=1"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_local_sign_out_goes_to_the_sign_in_page_not_the_provider()
    {
        var client = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);
        var logout = await client.PostAsync("/account/logout", null);
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal("/login", logout.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task The_sign_in_page_offers_the_provider_and_keeps_local_accounts_for_break_glass()
    {
        var page = await app.NewClient().GetStringAsync("/login");
        Assert.Contains("Sign in with Contoso ID", page, StringComparison.Ordinal);
        Assert.Contains("href=\"/account/sso\"", page, StringComparison.Ordinal);
        Assert.Contains("break-glass", page, StringComparison.Ordinal);
        Assert.Contains("name=\"password\"", page, StringComparison.Ordinal);
    }
}

/// <summary>Without configuration single sign-on is off: no button, no challenge.</summary>
public sealed class SingleSignOnOffTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    [Fact]
    public async Task Without_an_authority_there_is_no_button_and_no_challenge()
    {
        var client = app.NewClient();
        var page = await client.GetStringAsync("/login");
        Assert.DoesNotContain("Sign in with", page, StringComparison.Ordinal);
        Assert.Contains("name=\"password\"", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/account/sso")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/signin-oidc?code=x&state=y")).StatusCode);
    }
}
