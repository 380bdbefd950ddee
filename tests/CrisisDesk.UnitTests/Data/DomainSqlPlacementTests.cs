using System.Text.RegularExpressions;

namespace CrisisDesk.UnitTests.Data;

/// <summary>
/// "EF Core for the domain, Npgsql for posts at volume": no SQL that names a domain table is written outside
/// <c>CrisisDesk.Data</c>, except by the hot-path readers below, each allowed only the domain tables its posts query joins.
/// The tables come from the numbered migrations, so a new table is a domain table until someone says otherwise here.
/// </summary>
public sealed partial class DomainSqlPlacementTests
{
    /// <summary>Posts at volume, and the plumbing beside them: SQL naming only these may be anywhere.</summary>
    private static readonly HashSet<string> NotDomain =
    [
        "posts", "post_versions", "post_search", "search_progress", "quarantine", "unmatched_deletions",
        "data_protection_keys",
    ];

    /// <summary>
    /// The hot-path readers outside <c>CrisisDesk.Data</c> and the domain tables their posts queries may join; anything
    /// else they name is a finding like any other file's.
    /// </summary>
    private static readonly Dictionary<string, string[]> HotPathReaders = new()
    {
        // The feed's range reads and search: each card carries its triage marks and story, bounded by the incident.
        ["src/CrisisDesk.Web/Features/Triage/TriageQueries.cs"] = ["incidents", "post_triage", "stories"],
        // The map's located posts within the incident's area.
        ["src/CrisisDesk.Web/Features/Map/MapQueries.cs"] = ["incidents"],
        // A web node's catch-up by post id after a (re)connect to the feed hub.
        ["src/CrisisDesk.Web/Features/Nodes/FeedCatchUp.cs"] = ["incidents"],
    };

    [Fact]
    public void No_sql_outside_CrisisDesk_Data_names_a_domain_table_but_the_hot_path_readers_joins()
    {
        var domain = DomainTables();
        Assert.Contains("rumours", domain);
        Assert.Contains("events", domain);

        var findings = new List<string>();
        foreach (var project in new[] { "CrisisDesk.Core", "CrisisDesk.Ingest", "CrisisDesk.Web" })
        {
            var directory = Path.Combine(Repository.Root, "src", project);
            foreach (var file in Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(Repository.Root, file).Replace('\\', '/');
                if (relative.Contains("/obj/") || relative.Contains("/bin/"))
                    continue;
                var allowed = HotPathReaders.GetValueOrDefault(relative, []);
                var source = File.ReadAllText(file);
                foreach (var (line, table) in DomainTablesNamed(source, domain))
                {
                    if (!allowed.Contains(table))
                        findings.Add($"{relative}:{line} names {table}");
                }
            }
        }

        Assert.True(findings.Count == 0, "SQL on domain tables outside CrisisDesk.Data (move it there, or say it is a hot-path read):\n" + string.Join("\n", findings.Distinct()));
    }

    [Fact]
    public void The_scan_finds_sql_in_every_kind_of_string_literal()
    {
        var domain = new HashSet<string> { "rumours", "alerts", "users", "events" };
        const string source = """"
            var a = "SELECT id FROM rumours WHERE id = @id";
            var b = $"""
                UPDATE alerts SET status = {status}
                """;
            var c = @"INSERT INTO users (name) VALUES (@name)";
            var d = "Nothing to update from here";
            var e = $"SELECT * FROM posts p JOIN events e ON true";
            """";

        var named = DomainTablesNamed(source, domain).ToList();

        Assert.Equal([(1, "rumours"), (3, "alerts"), (5, "users"), (7, "events")], named);
    }

    [Fact]
    public void The_allowed_readers_exist_and_still_read_posts()
    {
        foreach (var file in HotPathReaders.Keys)
        {
            var path = Path.Combine(Repository.Root, file);
            Assert.True(File.Exists(path), $"{file} is allowed as a hot-path reader but is gone: take it off the list.");
            Assert.Matches(PostsTable(), File.ReadAllText(path));
        }
    }

    private static HashSet<string> DomainTables()
    {
        var migrations = Path.Combine(Repository.Root, "src", "CrisisDesk.Data", "Migrations");
        var tables = Directory.EnumerateFiles(migrations, "*.sql")
            .SelectMany(f => CreateTable().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value.ToLowerInvariant()))
            .ToHashSet();
        tables.ExceptWith(NotDomain);
        return tables;
    }

    private static IEnumerable<(int Line, string Table)> DomainTablesNamed(string source, HashSet<string> domain)
    {
        foreach (Match literal in StringLiteral().Matches(source))
        {
            var text = literal.Value;
            if (!SqlVerb().IsMatch(text))
                continue;
            foreach (Match reference in TableReference().Matches(text))
            {
                var table = reference.Groups[1].Value;
                if (domain.Contains(table))
                    yield return (LineOf(source, literal.Index + reference.Index), table);
            }
        }
    }

    private static int LineOf(string source, int index) => source.AsSpan(0, index).Count('\n') + 1;

    /// <summary>Raw (<c>"""…"""</c>), verbatim (<c>@"…"</c>) and regular string literals, interpolated or not.</summary>
    [GeneratedRegex("\"{3,}[\\s\\S]*?\"{3,}|@\"(?:[^\"]|\"\")*\"|\"(?:[^\"\\\\\\n]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    /// <summary>The SQL here is written with upper-case keywords, which keeps English messages out.</summary>
    [GeneratedRegex(@"\b(SELECT|INSERT|UPDATE|DELETE|WITH|LOCK)\b")]
    private static partial Regex SqlVerb();

    [GeneratedRegex(@"\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+([a-z_][a-z0-9_]*)")]
    private static partial Regex TableReference();

    [GeneratedRegex(@"(?i)CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_][a-z0-9_]*)")]
    private static partial Regex CreateTable();

    [GeneratedRegex(@"\b(FROM|JOIN)\s+posts\b")]
    private static partial Regex PostsTable();
}
