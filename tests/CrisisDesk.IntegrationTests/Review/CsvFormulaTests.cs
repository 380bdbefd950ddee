using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using Dapper;

namespace CrisisDesk.IntegrationTests.Review;

/// <summary>Post text that a spreadsheet would run as a formula is exported as text, whatever leads it.</summary>
public sealed class CsvFormulaTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    [Fact]
    public async Task Cells_led_by_a_tab_or_carriage_return_before_a_formula_are_defused_and_numbers_are_kept()
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Formula export') RETURNING id");
        var sourceId = await connection.ExecuteScalarAsync<int>("INSERT INTO sources (incident_id, kind, name) VALUES (@incidentId, 'replay', 'test') RETURNING id", new { incidentId });
        string[] texts = ["\t=HYPERLINK(\"http://evil.example\")", "\r=1+1", "=SUM(A1:A9)", "-12.5"];
        for (var i = 0; i < texts.Length; i++)
            await connection.ExecuteAsync("""
                INSERT INTO posts (incident_id, source_id, platform, external_id, created_at, received_at, author_handle, text)
                VALUES (@incidentId, @sourceId, 'x', @externalId, now(), now(), 'someone', @text)
                """, new { incidentId, sourceId, externalId = $"f{i}", text = texts[i] });
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);

        var csv = await client.GetStringAsync($"/api/review/incidents/{incidentId}/data.csv?table=posts");

        Assert.Contains(",\"'\t=HYPERLINK(\"\"http://evil.example\"\")\"", csv, StringComparison.Ordinal);
        Assert.Contains(",\"'\r=1+1\"", csv, StringComparison.Ordinal);
        Assert.Contains(",'=SUM(A1:A9)", csv, StringComparison.Ordinal);
        Assert.Contains(",-12.5", csv, StringComparison.Ordinal);
        Assert.DoesNotContain(",\t=", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("\"\r=", csv, StringComparison.Ordinal);
    }
}
