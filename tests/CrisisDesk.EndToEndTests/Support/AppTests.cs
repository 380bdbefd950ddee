using CrisisDesk.TestSupport;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests.Support;

/// <summary>
/// A browser test class's own CrisisDesk: before each test a fresh database and the real executable on it (admin
/// password <see cref="AdminPassword"/>), after it both stopped, the server's log kept (see <see cref="AppProcess"/>).
/// </summary>
public abstract class AppTests(BrowserFixture browser) : IAsyncLifetime
{
    protected const string AdminPassword = "end-to-end-admin-password";

    protected TestDatabase Database { get; private set; } = default!;

    protected AppProcess App { get; private set; } = default!;

    /// <summary>This class's settings beyond the database and the admin password (the drill's pace and so on).</summary>
    protected abstract IReadOnlyDictionary<string, string> Settings { get; }

    public virtual async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateEmptyAsync();
        App = await AppProcess.StartAsync(new Dictionary<string, string>(Settings)
        {
            ["ConnectionStrings:CrisisDesk"] = Database.ConnectionString,
            ["CrisisDesk:Admin:Password"] = AdminPassword,
            // The fake servers of these tests listen on 127.0.0.1, which CrisisDesk refuses by default.
            ["CrisisDesk:Network:AllowedHosts"] = "127.0.0.1",
        });
    }

    public virtual async Task DisposeAsync()
    {
        if (App is not null)
            await App.DisposeAsync();
        if (Database is not null)
            await Database.DisposeAsync();
    }

    /// <summary>A page in a browser context of its own: another person.</summary>
    protected Task<IPage> NewPageAsync() => browser.NewPageAsync(App.BaseAddress);
}
