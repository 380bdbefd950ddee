using System.Net;
using System.Security.Claims;
using System.Text.RegularExpressions;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Account;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CrisisDesk.IntegrationTests.Support;

/// <summary>
/// The real CrisisDesk host (Program, all its services and middleware) on a database of its own. Startup migrates
/// it, creates the admin and opens the drill, as on a first run; the drill replays as fast as it can.
/// </summary>
public partial class CrisisDeskFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "integration-admin-password";

    /// <summary>The first-run admin, as a command sees the person signed in.</summary>
    public static readonly ClaimsPrincipal Admin =
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, AdminUser), new Claim(ClaimTypes.Role, Roles.Admin)], "test"));

    public TestDatabase Database { get; } = new();

    /// <summary>What the host logged at Error and above.</summary>
    public ServerErrorLog ServerErrors { get; } = new();

    /// <summary>Settings a test class may change before the host starts.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["CrisisDesk:Drill:Speed"] = "1000000",
        ["CrisisDesk:Drill:MaxGapSeconds"] = "0",
        ["CrisisDesk:Login:AttemptsPerMinute"] = "1000",
        // The fake platform, feed and channel servers listen on 127.0.0.1 over plain http: allowed here, refused by default.
        ["CrisisDesk:Network:AllowedHosts"] = "127.0.0.1",
        ["CrisisDesk:Testing:AllowCredentialsOverHttpOnLoopback"] = "true",
    };

    public async Task InitializeAsync()
    {
        // A copy of the migrated template: the host's own start-up migration then finds nothing to do (migrating an
        // empty database is MigrationTests' and the embedded cluster's business).
        await Database.CreateAsync(migrate: true);
        // Start the host now, so that every test sees a started application.
        _ = Server;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureLogging(logging => logging.AddProvider(ServerErrors));
        builder.UseSetting("ConnectionStrings:CrisisDesk", Database.ConnectionString);
        builder.UseSetting("CrisisDesk:Admin:UserName", AdminUser);
        builder.UseSetting("CrisisDesk:Admin:Password", AdminPassword);
        foreach (var (key, value) in Settings)
            builder.UseSetting(key, value);
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Database.DisposeAsync();
    }

    /// <summary>
    /// A client that does not follow redirects, so tests see where they are sent, keeps cookies, and fails on a 5xx with
    /// what the server logged.
    /// </summary>
    /// <remarks>
    /// It calls the API as a script does: with <c>X-CrisisDesk-Request: 1</c> (see CrossSiteRequests) and no Origin.
    /// <paramref name="asScript"/> false leaves the header off, as a browser's plain form or cross-site fetch would.
    /// </remarks>
    public HttpClient NewClient(bool asScript = true)
    {
        var client = CreateDefaultClient(ClientOptions.BaseAddress, new ServerErrorHandler(ServerErrors), new CookieContainerHandler());
        if (asScript)
            client.DefaultRequestHeaders.Add("X-CrisisDesk-Request", "1");
        return client;
    }

    /// <summary>Signs in through the real form (antiforgery token included) and returns the signed-in client.</summary>
    public async Task<HttpClient> SignedInClientAsync(string userName, string password, bool asScript = true)
    {
        var client = NewClient(asScript);
        var response = await SignInAsync(client, userName, password);
        if (response.StatusCode != HttpStatusCode.Redirect || response.Headers.Location?.OriginalString.Contains("failed", StringComparison.Ordinal) == true)
            throw new InvalidOperationException($"Sign-in as {userName} failed: {(int)response.StatusCode} {response.Headers.Location}");
        return client;
    }

    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string userName, string password, string? returnUrl = null)
    {
        var page = await client.GetStringAsync("/login");
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        return await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["userName"] = userName,
            ["password"] = password,
            ["returnUrl"] = returnUrl ?? "",
        }));
    }

    /// <summary>Creates a user with the role, as the admin would through the Users page.</summary>
    public async Task<(string UserName, string Password)> CreateUserAsync(string role)
    {
        var userName = $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}"[..20];
        const string password = "a-long-enough-password";
        await Services.GetRequiredService<UserAccounts>().CreateAsync(Admin, userName, userName, role, password);
        return (userName, password);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
