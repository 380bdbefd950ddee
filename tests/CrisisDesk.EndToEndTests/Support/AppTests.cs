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
        // Migrated already (a copy of the template); CrashRecoveryTests and the failover tests start on empty ones.
        Database = await TestDatabase.CreateMigratedAsync();
        App = await AppProcess.StartAsync(new Dictionary<string, string>(Settings)
        {
            ["ConnectionStrings:CrisisDesk"] = Database.ConnectionString,
            ["CrisisDesk:Admin:Password"] = AdminPassword,
            // The fake servers of these tests listen on 127.0.0.1, which CrisisDesk refuses by default.
            ["CrisisDesk:Network:AllowedHosts"] = "127.0.0.1",
        }, GetType().Name);
    }

    public virtual async Task DisposeAsync()
    {
        await ClosePagesAsync();
        if (App is not null)
            await App.DisposeAsync();
        if (Database is not null)
            await Database.DisposeAsync();
    }

    private readonly List<IPage> _pages = [];

    /// <summary>
    /// The people close their browsers, before any server of the test stops. A page left open keeps its circuit's
    /// WebSocket, and the server's graceful stop waits for it (up to the host's 30 s shutdown timeout); it would also
    /// go on retrying a server that is gone, in the browser every later test shares.
    /// </summary>
    protected async Task ClosePagesAsync()
    {
        IPage[] open;
        lock (_pages)
        {
            open = [.. _pages];
            _pages.Clear();
        }
        foreach (var page in open)
        {
            try
            {
                await page.Context.CloseAsync();
            }
            catch (PlaywrightException)
            {
                // Already closed by the test.
            }
        }
    }

    /// <summary>A page in a browser context of its own: another person. Closed when the test ends, before the server stops.</summary>
    protected async Task<IPage> NewPageAsync()
    {
        var page = await browser.NewPageAsync(App.BaseAddress);
        lock (_pages)
            _pages.Add(page);
        return page;
    }
}
