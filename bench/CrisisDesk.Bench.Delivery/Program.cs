// Approval → every channel delivered, and fan-out to hundreds of people (issue 15's performance section).
//
// The real host (WebApplicationFactory: every service, the outbox dispatcher and the notifier as in production) on a
// real PostgreSQL, and the integration tests' fake servers on 127.0.0.1 speaking each channel's wire format: a signed
// webhook receiver, Mastodon, X and Bluesky (FakeChannelServers), an SMTP server over a real TCP conversation
// (FakeSmtpServer) and the Twilio Messages API (FakeTwilio). Each fake calls back as it accepts a message; the bench
// notes the time on one monotonic clock and matches the message to its alert by a token in its text.
//
// Phases:
//   1. Alerts, one at a time: an operator drafts and submits, an approver approves with an email list and an SMS list
//      (the two-person rule); from the moment ApproveAsync returns (just after its commit) until each channel has it:
//      the public CAP document served (/cap/alerts/{identifier}.xml answers 200, polled), the webhook received, the
//      Mastodon status, the tweet and the Bluesky record created, every person on each list accepted by SMTP / the
//      SMS provider. Also each delivery's receipt as stored (deliveries.delivered_at).
//   2. Rebuttals, one at a time: drafted, submitted and approved by two people, then published to the social
//      channels and both lists; timed from PublishAsync's return (publishing is the commit that fills the outbox).
//   3. Notification fan-out: 500 approvers who asked for approval requests by email and SMS; one alert submitted;
//      time until all 1,000 messages are accepted.
//   4. List fan-out: that alert approved with an email list of 500 and an SMS list of 500 (imported from CSV).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using System.Text.RegularExpressions;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Rebuttals;
using CrisisDesk.IntegrationTests.Notifications;
using CrisisDesk.IntegrationTests.Publishing;
using CrisisDesk.Bench.Shared;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Alerts;
using CrisisDesk.Web.Features.Incidents;
using CrisisDesk.Web.Features.Notifications;
using CrisisDesk.Web.Features.Rebuttals;
using CrisisDesk.Web.Features.RecipientLists;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrisisDesk.Bench.Delivery;

/// <summary>The delivery bench (see bench/README.md).</summary>
internal static partial class DeliveryBench
{
    private const string SmallEmailDomain = "small.example.gov";
    private const string DutyEmailDomain = "duty.example.gov";
    private const string ListEmailDomain = "list.example.gov";
    private const string DutyPhonePrefix = "+447700900";
    private const string ListPhonePrefix = "+447700901";
    private const string SmallPhonePrefix = "+447700902";

    private static readonly string[] AlertChannels = ["cap-feed", "webhook", "mastodon", "x", "bluesky", "email-list", "sms-list"];
    private static readonly string[] RebuttalChannels = ["mastodon", "x", "bluesky", "email-list", "sms-list"];

    private static async Task<int> Main(string[] args)
    {
        var approvals = IntOption(args, "--approvals", 200);
        var rebuttalCount = IntOption(args, "--rebuttals", 200);
        var fanOut = IntOption(args, "--fan-out", 500);
        var listSize = IntOption(args, "--list-size", 5);
        var warmup = IntOption(args, "--warmup", 10);

        Console.WriteLine($"CrisisDesk delivery bench: {approvals} alerts and {rebuttalCount} rebuttals one at a time (after {warmup} warm-up each), lists of {listSize}; fan-out to {fanOut}.");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores; {MachineLoad.Uptime()}");

        var database = new TestDatabase();
        await database.CreateAsync(migrate: false);
        await using var social = await FakeChannelServers.StartAsync();
        await using var smtp = FakeSmtpServer.Create();
        await using var twilio = await FakeTwilio.StartAsync();

        var seen = new Receipts();
        social.OnReceived = seen.Record;
        smtp.OnAccepted = mail => seen.Record(
            mail.RcptTo.Count > 0 && mail.RcptTo[0].EndsWith("@" + DutyEmailDomain, StringComparison.Ordinal) ? "email-notify" : "email-list", mail.Data, string.Join(",", mail.RcptTo));
        twilio.OnAccepted = sms => seen.Record(sms.To.StartsWith(DutyPhonePrefix, StringComparison.Ordinal) ? "sms-notify" : "sms-list", sms.Body, sms.To);

        var settings = new Dictionary<string, string?>(social.ChannelSettings())
        {
            ["ConnectionStrings:CrisisDesk"] = database.ConnectionString + ";Maximum Pool Size=40",
            ["Logging:LogLevel:Default"] = "Warning",
            ["CrisisDesk:Admin:UserName"] = "admin",
            ["CrisisDesk:Admin:Password"] = "bench-admin-password-long",
            ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
            ["CrisisDesk:PublicBaseUrl"] = "https://alerts.riverside.example.gov/",
            ["CrisisDesk:Publishing:Sender"] = "alerts@riverside.example.gov",
            ["CrisisDesk:Network:AllowedHosts"] = "127.0.0.1",
            ["CrisisDesk:Testing:AllowCredentialsOverHttpOnLoopback"] = "true",
            ["CrisisDesk:Channels:Email:Host"] = "127.0.0.1",
            ["CrisisDesk:Channels:Email:Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["CrisisDesk:Channels:Email:Security"] = "None", // the fake speaks plain SMTP; production keeps StartTls
            ["CrisisDesk:Channels:Email:UserName"] = FakeSmtpServer.UserName,
            ["CrisisDesk:Channels:Email:Password"] = FakeSmtpServer.Password,
            ["CrisisDesk:Channels:Email:From"] = "duty@riverside.example.gov",
            ["CrisisDesk:Channels:Sms:BaseUrl"] = twilio.BaseUrl.ToString(),
            ["CrisisDesk:Channels:Sms:AccountSid"] = FakeTwilio.AccountSid,
            ["CrisisDesk:Channels:Sms:AuthToken"] = FakeTwilio.AuthToken,
            ["CrisisDesk:Channels:Sms:From"] = FakeTwilio.From,
            // Everything else (dispatcher and notifier poll intervals, timeouts, retries) keeps the product's defaults.
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
        using var http = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost/"), AllowAutoRedirect = false });
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();

        var admin = Principal("admin", Roles.Admin);
        var accounts = services.GetRequiredService<UserAccounts>();
        await accounts.CreateAsync(admin, "bench.operator", "Bench Operator", Roles.Operator, "a-long-enough-password-1");
        await accounts.CreateAsync(admin, "bench.approver", "Bench Approver", Roles.Approver, "a-long-enough-password-2");
        var op = Principal("bench.operator", Roles.Operator);
        var approver = Principal("bench.approver", Roles.Approver);
        var incidentId = await services.GetRequiredService<IncidentCommands>().OpenAsync(op, "Riverside flooding (delivery bench)", ["flood"], "Lower Town");

        var lists = services.GetRequiredService<RecipientListCommands>();
        var smallEmail = await NewListAsync(lists, admin, "Duty desk email", RecipientListKinds.Email,
            Enumerable.Range(0, listSize).Select(i => $"Person {i},person{i}@{SmallEmailDomain}"));
        var smallSms = await NewListAsync(lists, admin, "Duty desk SMS", RecipientListKinds.Sms,
            Enumerable.Range(0, listSize).Select(i => $"Person {i},{SmallPhonePrefix}{i:000}"));

        var alerts = services.GetRequiredService<AlertCommands>();
        var rebuttals = services.GetRequiredService<RebuttalCommands>();
        var results = new List<(string Title, Table Table)>();

        // 1. Alerts, one at a time.
        {
            var table = new Table();
            var approveMs = new List<double>();
            var started = new List<(int AlertId, DateTime At)>();
            for (var i = 0; i < warmup + approvals; i++)
            {
                var keep = i >= warmup;
                var token = $"Alert-{i:0000}";
                var (alertId, _) = await alerts.DraftAsync(op, incidentId, AlertSamples.Flood($"{token} Keep away from the river"));
                await alerts.SubmitAsync(op, alertId);
                var identifier = (await alerts.GetAsync(alertId))!.Identifier;
                var before = Stopwatch.GetTimestamp();
                await alerts.ApproveAsync(approver, alertId, null, listIds: [smallEmail, smallSms]);
                var t0 = Stopwatch.GetTimestamp();
                var t0Wall = DateTime.UtcNow;
                var expected = new Dictionary<string, int> { ["webhook"] = 1, ["mastodon"] = 1, ["x"] = 1, ["bluesky"] = 1, ["email-list"] = listSize, ["sms-list"] = listSize };
                var capAt = await WaitAsync(seen, token, expected, http, $"cap/alerts/{Uri.EscapeDataString(identifier)}.xml", TimeSpan.FromSeconds(60));
                await ReceiptsStoredAsync(dataSource, "alert_id", alertId, TimeSpan.FromSeconds(60));
                if (!keep)
                    continue;
                approveMs.Add(Stopwatch.GetElapsedTime(before, t0).TotalMilliseconds);
                started.Add((alertId, t0Wall));
                table.AddItem(t0, capAt, seen, token, expected);
            }
            await table.AddReceiptsAsync(dataSource, "alert_id", started);
            results.Add(($"Alerts: approval → delivered, {approvals} approvals one at a time (ApproveAsync itself: p50 {Percentile(approveMs, 0.5):0.0} ms, p99 {Percentile(approveMs, 0.99):0.0} ms; one poll of the CAP document: p50 {Percentile(CapGetMs, 0.5):0.0} ms)", table));
            Print(results[^1]);
            Console.WriteLine($"  load: {MachineLoad.LoadAverage()}");
        }

        // 2. Rebuttals, one at a time.
        if (rebuttalCount > 0)
        {
            var table = new Table();
            var started = new List<(int Id, DateTime At)>();
            for (var i = 0; i < warmup + rebuttalCount; i++)
            {
                var keep = i >= warmup;
                var token = $"Rebut-{i:0000}";
                var text = $"{token} The bridge on Mill Lane is open: the council checked it this morning.";
                var rebuttalId = await rebuttals.DraftAsync(op, incidentId, null, $"{token} The bridge is open", new Dictionary<TextChannel, string>
                {
                    [TextChannel.X] = text,
                    [TextChannel.Mastodon] = text,
                    [TextChannel.Bluesky] = text,
                    [TextChannel.Sms] = text,
                });
                await rebuttals.SubmitAsync(op, rebuttalId);
                await rebuttals.ApproveAsync(approver, rebuttalId, null);
                // Naming the social channels as well: choosing only lists would be choosing no social channel.
                await rebuttals.PublishAsync(op, rebuttalId, ["x", "mastodon", "bluesky"], listIds: [smallEmail, smallSms]);
                var t0 = Stopwatch.GetTimestamp();
                var t0Wall = DateTime.UtcNow;
                var expected = new Dictionary<string, int> { ["mastodon"] = 1, ["x"] = 1, ["bluesky"] = 1, ["email-list"] = listSize, ["sms-list"] = listSize };
                await WaitAsync(seen, token, expected, null, null, TimeSpan.FromSeconds(60));
                await ReceiptsStoredAsync(dataSource, "rebuttal_id", rebuttalId, TimeSpan.FromSeconds(60));
                if (!keep)
                    continue;
                started.Add((rebuttalId, t0Wall));
                table.AddItem(t0, null, seen, token, expected);
            }
            await table.AddReceiptsAsync(dataSource, "rebuttal_id", started);
            results.Add(($"Rebuttals: publish → delivered, {rebuttalCount} rebuttals one at a time", table));
            Print(results[^1]);
            Console.WriteLine($"  load: {MachineLoad.LoadAverage()}");
        }

        // 3. One approval request to fanOut approvers by email and SMS.
        var fanOutLines = new List<string>();
        if (fanOut > 0)
        {
            var setup = Stopwatch.StartNew();
            var store = services.GetRequiredService<NotificationSettingsStore>();
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
            {
                int n;
                while ((n = Interlocked.Increment(ref next)) < fanOut)
                {
                    var name = $"duty.{n:000}";
                    await accounts.CreateAsync(admin, name, $"Duty officer {n}", Roles.Approver, $"duty-officer-password-{n:000}");
                    var me = Principal(name, Roles.Approver);
                    var mine = await store.GetAsync(me);
                    mine.Email = $"duty.{n:000}@{DutyEmailDomain}";
                    mine.Phone = $"{DutyPhonePrefix}{n:000}";
                    mine.Rules = [.. mine.Rules.Where(r => r.Kind != NotificationKinds.Approval), new NotificationRule(NotificationKinds.Approval, InApp: true, Email: true, Sms: true)];
                    await store.SaveAsync(me, mine);
                }
            }));
            Console.WriteLine($"{fanOut} approvers with email and SMS set up in {setup.Elapsed.TotalSeconds:0.0} s (not timed below).");

            const string token = "Fan-0001";
            var (alertId, _) = await alerts.DraftAsync(op, incidentId, AlertSamples.Flood($"{token} Evacuate Lower Town now"));
            await alerts.SubmitAsync(op, alertId);
            var t0 = Stopwatch.GetTimestamp();
            var expected = new Dictionary<string, int> { ["email-notify"] = fanOut, ["sms-notify"] = fanOut };
            await WaitAsync(seen, token, expected, null, null, TimeSpan.FromMinutes(15));
            fanOutLines.Add($"Notification fan-out: one alert submitted → approval request to {fanOut} approvers by email and SMS ({2 * fanOut} messages)");
            fanOutLines.AddRange(FanOutRows(seen, token, t0, expected));
            fanOutLines.Add($"  load: {MachineLoad.LoadAverage()}");
            foreach (var line in fanOutLines[^(expected.Count + 4)..])
                Console.WriteLine(line);

            // 4. The same alert approved with an email list and an SMS list of fanOut people each.
            setup.Restart();
            var bigEmail = await NewListAsync(lists, admin, "Residents email", RecipientListKinds.Email,
                Enumerable.Range(0, fanOut).Select(i => $"Resident {i},resident{i}@{ListEmailDomain}"));
            var bigSms = await NewListAsync(lists, admin, "Residents SMS", RecipientListKinds.Sms,
                Enumerable.Range(0, fanOut).Select(i => $"Resident {i},{ListPhonePrefix}{i:000}"));
            Console.WriteLine($"Two lists of {fanOut} imported from CSV in {setup.Elapsed.TotalSeconds:0.0} s (not timed below).");
            await alerts.ApproveAsync(approver, alertId, null, listIds: [bigEmail, bigSms]);
            t0 = Stopwatch.GetTimestamp();
            expected = new Dictionary<string, int> { ["webhook"] = 1, ["mastodon"] = 1, ["x"] = 1, ["bluesky"] = 1, ["email-list"] = fanOut, ["sms-list"] = fanOut };
            await WaitAsync(seen, token, expected, null, null, TimeSpan.FromMinutes(15));
            fanOutLines.Add($"List fan-out: that alert approved with an email list of {fanOut} and an SMS list of {fanOut} (and the webhook and social channels)");
            fanOutLines.AddRange(FanOutRows(seen, token, t0, expected));
            fanOutLines.Add($"  load: {MachineLoad.LoadAverage()}");
            foreach (var line in fanOutLines[^(expected.Count + 4)..])
                Console.WriteLine(line);
        }

        var duplicates = seen.Duplicates();
        Console.WriteLine();
        Console.WriteLine("Summary");
        foreach (var result in results)
            Print(result);
        foreach (var line in fanOutLines)
            Console.WriteLine(line);
        Console.WriteLine(duplicates.Count == 0 ? "Every message arrived once." : "MORE THAN ONCE: " + string.Join(", ", duplicates));
        if (Incomplete > 0)
            Console.WriteLine($"INCOMPLETE: {Incomplete} waits ran out (see above).");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores; {MachineLoad.Uptime()}");
        await app.DisposeAsync();
        await database.DisposeAsync();
        return duplicates.Count == 0 && Incomplete == 0 && results.All(r => r.Table.Missing == 0) ? 0 : 1;
    }

    /// <summary>Waits that ran out before everything arrived (the exit code is then 1).</summary>
    private static int Incomplete;

    /// <summary>How long each poll of the public CAP document took (the resolution of "served").</summary>
    private static readonly List<double> CapGetMs = [];

    /// <summary>Polls until every expected message with <paramref name="token"/> has arrived (and the CAP document is served); returns when it was.</summary>
    private static async Task<long?> WaitAsync(Receipts seen, string token, Dictionary<string, int> expected, HttpClient? http, string? capPath, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        long? capAt = null;
        while (deadline.Elapsed < timeout)
        {
            if (http is not null && capAt is null)
            {
                var asked = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(capPath);
                CapGetMs.Add(Stopwatch.GetElapsedTime(asked).TotalMilliseconds);
                if (response.IsSuccessStatusCode)
                    capAt = Stopwatch.GetTimestamp();
            }
            if ((http is null || capAt is not null) && expected.All(e => seen.Count(e.Key, token) >= e.Value))
                return capAt;
            await Task.Delay(1);
        }
        Incomplete++;
        Console.WriteLine($"  {token}: not everything arrived within {timeout.TotalSeconds:0} s: "
            + string.Join(", ", expected.Select(e => $"{e.Key} {seen.Count(e.Key, token)}/{e.Value}")) + (http is null ? "" : capAt is null ? ", CAP not served" : ""));
        return capAt;
    }

    /// <summary>
    /// Waits until every delivery of the alert or rebuttal has its receipt stored, so that the next one starts on a quiet
    /// outbox (the fakes see a message before the dispatcher commits its receipt).
    /// </summary>
    private static async Task ReceiptsStoredAsync(NpgsqlDataSource dataSource, string column, int id, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM deliveries WHERE {column} = $1 AND status <> 'succeeded'", connection)
        { Parameters = { new() { Value = id } } };
        while ((long)(await command.ExecuteScalarAsync())! > 0)
        {
            if (deadline.Elapsed > timeout)
            {
                Incomplete++;
                Console.WriteLine($"  {column} {id}: receipts not all stored within {timeout.TotalSeconds:0} s");
                return;
            }
            await Task.Delay(2);
        }
    }

    private static IEnumerable<string> FanOutRows(Receipts seen, string token, long t0, Dictionary<string, int> expected)
    {
        yield return $"  {"channel",-14} {"messages",9} {"first ms",10} {"p50 ms",10} {"p99 ms",10} {"last ms",10} {"per s",8}";
        var all = new List<double>();
        foreach (var (channel, count) in expected)
        {
            var times = seen.Times(channel, token).Select(t => Stopwatch.GetElapsedTime(t0, t).TotalMilliseconds).Order().ToList();
            all.AddRange(times);
            yield return FanOutRow(channel, times, count);
        }
        yield return FanOutRow("all", [.. all.Order()], expected.Values.Sum());
    }

    private static string FanOutRow(string name, List<double> times, int expected) => times.Count == 0 ? $"  {name,-14} {"0/" + expected,9}" : string.Create(CultureInfo.InvariantCulture,
        $"  {name,-14} {(times.Count == expected ? times.Count.ToString(CultureInfo.InvariantCulture) : $"{times.Count}/{expected}"),9} {times[0],10:0.0} {Percentile(times, 0.5),10:0.0} {Percentile(times, 0.99),10:0.0} {times[^1],10:0.0} {(times.Count > 1 ? (times.Count / (times[^1] / 1000)).ToString("0", CultureInfo.InvariantCulture) : ""),8}");

    private static async Task<int> NewListAsync(RecipientListCommands lists, ClaimsPrincipal admin, string name, string kind, IEnumerable<string> lines)
    {
        var id = await lists.CreateAsync(admin, name, kind);
        var report = await lists.ImportAsync(admin, id, "name,address\n" + string.Join("\n", lines) + "\n");
        if (report.Rejected.Count > 0)
            throw new InvalidOperationException($"The list {name} refused {report.Rejected.Count} lines: {report.Rejected[0]}");
        return id;
    }

    private static void Print((string Title, Table Table) result)
    {
        Console.WriteLine(result.Title);
        foreach (var line in result.Table.Lines())
            Console.WriteLine(line);
    }

    internal static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
            return double.NaN;
        var ordered = sorted.Order().ToList();
        return ordered[Math.Clamp((int)Math.Ceiling(p * ordered.Count) - 1, 0, ordered.Count - 1)];
    }

    private static int IntOption(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static ClaimsPrincipal Principal(string name, string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "bench"));

    /// <summary>What the fakes accepted, by channel and token, with the monotonic time of each.</summary>
    private sealed partial class Receipts
    {
        private readonly ConcurrentDictionary<(string Channel, string Token), ConcurrentQueue<long>> _times = new();
        private readonly ConcurrentDictionary<(string Channel, string Token, string Recipient), int> _received = new();

        public void Record(string channel, string text) => Record(channel, text, "");

        public void Record(string channel, string text, string recipient)
        {
            var at = Stopwatch.GetTimestamp();
            // One message counts once, for its first token (the CAP XML and an email carry the headline more than once).
            if (Token().Match(text) is not { Success: true } match)
                return;
            _times.GetOrAdd((channel, match.Value), _ => new ConcurrentQueue<long>()).Enqueue(at);
            _received.AddOrUpdate((channel, match.Value, recipient), 1, (_, n) => n + 1);
        }

        public int Count(string channel, string token) => _times.TryGetValue((channel, token), out var q) ? q.Count : 0;

        public IReadOnlyList<long> Times(string channel, string token) => _times.TryGetValue((channel, token), out var q) ? [.. q] : [];

        /// <summary>What one recipient (or one platform) got more than once for the same alert or rebuttal.</summary>
        public IReadOnlyList<string> Duplicates() => [.. _received.Where(t => t.Value > 1).Select(t => $"{t.Key.Channel} {t.Key.Token} {t.Key.Recipient} x{t.Value}")];

        [GeneratedRegex(@"\b(Alert|Rebut|Fan)-[0-9]{4}\b")]
        private static partial Regex Token();
    }

    /// <summary>Latencies per channel for items delivered one at a time.</summary>
    private sealed class Table
    {
        private readonly Dictionary<string, List<double>> _ms = new(StringComparer.Ordinal);
        private readonly List<string> _order = [];

        public int Missing { get; private set; }

        private void Add(string row, double ms)
        {
            if (!_ms.TryGetValue(row, out var list))
            {
                _ms[row] = list = [];
                _order.Add(row);
            }
            list.Add(ms);
        }

        public void AddItem(long t0, long? capAt, Receipts seen, string token, Dictionary<string, int> expected)
        {
            var last = 0.0;
            var complete = true;
            if (capAt is { } cap)
            {
                last = Stopwatch.GetElapsedTime(t0, cap).TotalMilliseconds;
                Add("cap-feed (served)", last);
            }
            foreach (var (channel, count) in expected)
            {
                var times = seen.Times(channel, token);
                if (times.Count < count)
                {
                    complete = false;
                    continue;
                }
                var ms = Stopwatch.GetElapsedTime(t0, times.Max()).TotalMilliseconds;
                Add(count > 1 ? $"{channel} (all {count})" : channel, ms);
                last = Math.Max(last, ms);
            }
            if (complete && (capAt is not null || !expected.ContainsKey("webhook")))
                Add("every channel", last);
            else
                Missing++;
        }

        /// <summary>Each delivery's receipt as stored by the dispatcher (delivered_at, the database's clock), from the same start.</summary>
        public async Task AddReceiptsAsync(NpgsqlDataSource dataSource, string column, List<(int Id, DateTime At)> started)
        {
            var at = started.ToDictionary(s => s.Id, s => s.At);
            var perItem = new Dictionary<int, double>();
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(
                $"SELECT {column}, channel, status, delivered_at FROM deliveries WHERE {column} = ANY($1) AND notification_id IS NULL ORDER BY channel", connection)
            { Parameters = { new() { Value = at.Keys.ToArray() } } };
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var id = reader.GetInt32(0);
                if (reader.GetString(2) != "succeeded" || reader.IsDBNull(3))
                {
                    Missing++;
                    continue;
                }
                var ms = (reader.GetDateTime(3) - at[id]).TotalMilliseconds;
                Add($"receipt stored: {reader.GetString(1)}", ms);
                perItem[id] = Math.Max(perItem.GetValueOrDefault(id), ms);
            }
            foreach (var ms in perItem.Values)
                Add("receipt stored: every channel", ms);
        }

        public IEnumerable<string> Lines()
        {
            yield return $"  {"channel",-34} {"n",5} {"p50 ms",9} {"p95 ms",9} {"p99 ms",9} {"max ms",9}";
            foreach (var row in _order)
            {
                var ms = _ms[row];
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"  {row,-34} {ms.Count,5} {Percentile(ms, 0.5),9:0.0} {Percentile(ms, 0.95),9:0.0} {Percentile(ms, 0.99),9:0.0} {ms.Max(),9:0.0}");
            }
            if (Missing > 0)
                yield return $"  MISSING: {Missing} items or receipts did not complete";
        }
    }
}
