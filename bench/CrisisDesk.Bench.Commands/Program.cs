// The commonest operator commands, timed one at a time against the real host (all its services, a real PostgreSQL):
// flag a post, create a rumour, change its status, submit and approve a rebuttal, approve an alert with three channels;
// and the Admin's and Operator's rarer ones: add a source, rename it, open an incident. Beside them, the session check
// every signed-in request makes once its two-second cache has lapsed, next to the same check as the one Dapper query
// it was before the move to EF Core.
// Each command is called as the pages and the API call it (the command classes, with a signed-in person), so the
// figures are the command's own cost: authorisation (the role read afresh), its reads and writes, the event append
// and the commit. Set-up steps (drafting what is then submitted or approved) are not timed.
using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Core.Rumours;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Alerts;
using CrisisDesk.Web.Features.Incidents;
using CrisisDesk.Web.Features.Rebuttals;
using CrisisDesk.Web.Features.Rumours;
using CrisisDesk.Web.Features.Sources;
using CrisisDesk.Web.Features.Triage;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrisisDesk.Bench.Commands;

/// <summary>The command bench (see bench/README.md).</summary>
internal static class CommandBench
{
    private static async Task Main(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
        // A pause before each timed command lets the background work the last one started (deliveries, notifications)
        // finish first: the command's own time, as a person clicking sees it, apart from the previous command's wake.
        var pause = TimeSpan.FromMilliseconds(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0);
        const int Warmup = 30;

        var database = new TestDatabase();
        await database.CreateAsync(migrate: false);
        // Channels that answer at once, so the dispatcher's background work stays small and steady.
        await using var channels = await FakeServer.StartAsync(web =>
        {
            web.MapPost("/hook", () => Results.Ok());
            web.MapPost("/api/v1/statuses", () => Results.Json(new { id = "1", url = "https://mastodon.example/@alerts/1" }));
        });
        var settings = new Dictionary<string, string?>
        {
            // Below the server's 100 connections, with room for the bench's own and the background services' bursts.
            ["ConnectionStrings:CrisisDesk"] = database.ConnectionString + ";Maximum Pool Size=40",
            ["CrisisDesk:Admin:UserName"] = "admin",
            ["CrisisDesk:Admin:Password"] = "bench-admin-password-long",
            ["CrisisDesk:Drill:Speed"] = "1000000",
            ["CrisisDesk:Drill:MaxGapSeconds"] = "0",
            ["CrisisDesk:Network:AllowedHosts"] = "127.0.0.1",
            ["CrisisDesk:Testing:AllowCredentialsOverHttpOnLoopback"] = "true",
            ["CrisisDesk:Channels:Webhook:Url"] = new Uri(channels.Address, "hook").ToString(),
            ["CrisisDesk:Channels:Webhook:Secret"] = "bench-webhook-secret-0123456789",
            ["CrisisDesk:Channels:Mastodon:BaseUrl"] = channels.Address.ToString(),
            ["CrisisDesk:Channels:Mastodon:AccessToken"] = "bench-mastodon-token",
        };
        await using var app = new WebApplicationFactory<global::Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Development");
            builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            builder.UseSolutionRelativeContentRoot("src/CrisisDesk.Web");
            foreach (var (key, value) in settings)
                builder.UseSetting(key, value);
        });
        var services = app.Services;

        // The drill: its replay stores 238 real posts, which the commands flag and link.
        var monitor = services.GetRequiredService<SourceMonitor>();
        var waited = Stopwatch.StartNew();
        int incidentId;
        while (true)
        {
            if (monitor.Snapshot().FirstOrDefault(s => s.Kind == "replay") is { State: SourceState.Completed } drill)
            {
                incidentId = drill.IncidentId;
                break;
            }
            if (waited.Elapsed > TimeSpan.FromMinutes(3))
                throw new TimeoutException("The drill did not finish replaying in 3 minutes.");
            await Task.Delay(100);
        }
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        long[] postIds;
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var command = new NpgsqlCommand("SELECT id FROM posts WHERE incident_id = $1 ORDER BY id", connection) { Parameters = { new() { Value = incidentId } } })
        await using (var reader = await command.ExecuteReaderAsync())
        {
            var ids = new List<long>();
            while (await reader.ReadAsync())
                ids.Add(reader.GetInt64(0));
            postIds = [.. ids];
        }

        var admin = Principal("admin", Roles.Admin);
        var accounts = services.GetRequiredService<UserAccounts>();
        await accounts.CreateAsync(admin, "bench.operator", "Bench Operator", Roles.Operator, "a-long-enough-password-1");
        await accounts.CreateAsync(admin, "bench.approver", "Bench Approver", Roles.Approver, "a-long-enough-password-2");
        var op = Principal("bench.operator", Roles.Operator);
        var approver = Principal("bench.approver", Roles.Approver);

        var triage = services.GetRequiredService<TriageCommands>();
        var rumours = services.GetRequiredService<RumourCommands>();
        var rebuttals = services.GetRequiredService<RebuttalCommands>();
        var alerts = services.GetRequiredService<AlertCommands>();
        var sources = services.GetRequiredService<SourceCommands>();
        var incidents = services.GetRequiredService<IncidentCommands>();
        var sessions = services.GetRequiredService<SessionStore>();
        int operatorId;
        await using (var connection = await dataSource.OpenConnectionAsync())
            operatorId = await connection.ExecuteScalarAsync<int>("SELECT id FROM users WHERE user_name = 'bench.operator'");
        // An RSS feed on the fake server: added stopped, so nothing polls it.
        using var feed = JsonDocument.Parse(JsonSerializer.Serialize(new { url = new Uri(channels.Address, "feed.rss").ToString(), keywords = new[] { "flood" }, pollIntervalSeconds = 3600 }));

        var names = new[] { "flag a post", "create a rumour", "change its status", "submit a rebuttal", "approve a rebuttal", "approve an alert (3 channels)",
            "add a source", "rename a source", "open an incident", "check a session (past the cache)", "the same check, old Dapper query" };
        var timings = names.ToDictionary(n => n, _ => new List<double>());
        var clock = new Stopwatch();
        async Task<T> Time<T>(string name, bool keep, Func<Task<T>> command)
        {
            if (pause > TimeSpan.Zero)
                await Task.Delay(pause);
            clock.Restart();
            var result = await command();
            clock.Stop();
            if (keep)
                timings[name].Add(clock.Elapsed.TotalMilliseconds);
            return result;
        }

        Console.WriteLine($"{rounds} rounds after {Warmup} warm-up rounds; drill incident {incidentId} with {postIds.Length} posts.");
        var total = Stopwatch.StartNew();
        for (var i = 0; i < Warmup + rounds; i++)
        {
            var keep = i >= Warmup;
            var postId = postIds[i % postIds.Length];
            await using (var connection = await dataSource.OpenConnectionAsync())
            await using (var clear = new NpgsqlCommand("DELETE FROM post_triage WHERE post_id = $1", connection) { Parameters = { new() { Value = postId } } })
                await clear.ExecuteNonQueryAsync(); // not timed: so that every flag changes something
            await Time(names[0], keep, async () => { await triage.FlagAsync(op, postId); return 0; });

            var rumourId = await Time(names[1], keep, () => rumours.CreateAsync(op, incidentId, $"Bench claim number {i}: the bridge is closed", RumourSeverity.Medium,
                null, ["bridge"], [postId], null));
            await Time(names[2], keep, () => rumours.ChangeStatusAsync(op, rumourId, 1, RumourStatus.Investigating, "checking with the council"));

            var rebuttalId = await rebuttals.DraftAsync(op, incidentId, rumourId, $"The bridge is open ({i})",
                new Dictionary<TextChannel, string> { [TextChannel.Mastodon] = "The bridge is open: the council checked it this morning." });
            await Time(names[3], keep, async () => { await rebuttals.SubmitAsync(op, rebuttalId); return 0; });
            await Time(names[4], keep, async () => { await rebuttals.ApproveAsync(approver, rebuttalId, null); return 0; });

            var (alertId, _) = await alerts.DraftAsync(op, incidentId, Flood($"Keep away from the river ({i})"));
            await alerts.SubmitAsync(op, alertId);
            await Time(names[5], keep, async () => { await alerts.ApproveAsync(approver, alertId, null); return 0; });

            var sourceId = await Time(names[6], keep, () => sources.AddAsync(admin, incidentId, "rss", $"Bench feed {i}", feed.RootElement));
            await Time(names[7], keep, async () => await sources.ChangeAsync(admin, incidentId, sourceId, $"Bench feed {i}, renamed", feed.RootElement)
                ? 0 : throw new InvalidOperationException("The rename changed nothing."));
            await Time(names[8], keep, () => incidents.OpenAsync(op, $"Bench incident {i}", ["flood"], "Lower Town"));

            // A new session each time (created untimed), so that the check is never answered from the cache.
            var token = await sessions.CreateAsync(operatorId, "127.0.0.1", CancellationToken.None);
            await Time(names[9], keep, async () => await sessions.FindAsync(token, CancellationToken.None) ?? throw new InvalidOperationException("The new session was not found."));
            var oldToken = await sessions.CreateAsync(operatorId, "127.0.0.1", CancellationToken.None);
            await Time(names[10], keep, () => OldSessionCheckAsync(dataSource, oldToken));
        }
        total.Stop();

        Console.WriteLine($"{"command",-32} {"median ms",10} {"p99 ms",10} {"mean ms",10}");
        foreach (var name in names)
        {
            var sorted = timings[name].Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-32} {Percentile(sorted, 0.50),10:0.00} {Percentile(sorted, 0.99),10:0.00} {sorted.Average(),10:0.00}"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"all rounds: {total.Elapsed.TotalSeconds:0.0} s; load average: {File.ReadAllText("/proc/loadavg").Trim()}"));
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    /// <summary>SessionStore's check as it was on Dapper (its SQL, one pooled connection), for the comparison.</summary>
    private static async Task<int> OldSessionCheckAsync(NpgsqlDataSource dataSource, string token)
    {
        var id = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        await using var connection = await dataSource.OpenConnectionAsync();
        var row = await connection.QuerySingleOrDefaultAsync<(int UserId, string UserName, string DisplayName, string Role, bool Stale)>(new CommandDefinition("""
            SELECT u.id, u.user_name, u.display_name, u.role, s.last_seen_at < now() - @touchEvery
              FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id = @id AND s.revoked_at IS NULL AND NOT u.disabled
               AND s.created_at > now() - @absolute AND s.last_seen_at > now() - @idle
            """, new { id, touchEvery = TimeSpan.FromMinutes(1), absolute = TimeSpan.FromHours(12), idle = TimeSpan.FromHours(2) }));
        return row.UserName is null ? throw new InvalidOperationException("The new session was not found.") : row.UserId;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static ClaimsPrincipal Principal(string name, string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "bench"));

    private static CapAlert Flood(string headline) => new()
    {
        Identifier = "composer-placeholder",
        Sender = "composer@placeholder",
        Sent = new DateTimeOffset(2026, 11, 21, 14, 32, 0, TimeSpan.Zero),
        Status = CapStatus.Actual,
        MsgType = CapMsgType.Alert,
        Scope = CapScope.Public,
        Infos =
        [
            new CapInfo
            {
                Language = "en-GB",
                Categories = [CapCategory.Met],
                Event = "River flooding",
                ResponseTypes = [CapResponseType.Evacuate],
                Urgency = CapUrgency.Immediate,
                Severity = CapSeverity.Severe,
                Certainty = CapCertainty.Observed,
                SenderName = "Riverside Council Emergency Team",
                Headline = headline,
                Description = "Water is rising fast on Quay Street and Mill Lane.",
                Instruction = "Leave now by the A59. Do not drive through flood water.",
                Areas = [new CapArea { AreaDesc = "Lower Town", Circles = [new CapCircle(new CapPoint(53.9600m, -1.0750m), 2.5m)] }],
            },
        ],
    };
}
