using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using CrisisDesk.Core.Alerts;
using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// The alert area drawn with the mouse: an Operator draws a polygon on the composer's map, sees its CAP text, an
/// Approver sees the same area on a read-only map and issues it, and the public feed carries the same polygon (the
/// alert's CAP document valid for xmllint against the CAP 1.2 schema). Tiles come from a fake tile server on loopback;
/// with it down, the bundled world map shows and the map says that tiles are off.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class MapDrawingTests(BrowserFixture browser) : AppTests(browser)
{
    // A 1x1 PNG: Leaflet stretches each tile image to 256x256.
    private static readonly byte[] TilePng = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    private FakeServer? _tiles;
    private Uri _tileBase = default!;
    private int _tileRequests;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
        ["CrisisDesk:Publishing:Sender"] = "alerts@riverside.example.gov",
        ["CrisisDesk:Publishing:PollInterval"] = "00:00:00.200",
        ["CrisisDesk:Map:TileUrl"] = new Uri(_tileBase, "tiles/{z}/{x}/{y}.png").AbsoluteUri.Replace("%7B", "{", StringComparison.Ordinal).Replace("%7D", "}", StringComparison.Ordinal),
        ["CrisisDesk:Map:Attribution"] = "Test tiles",
    };

    public override async Task InitializeAsync()
    {
        _tiles = await FakeServer.StartAsync(app => app.MapGet("/tiles/{z}/{x}/{y}.png", async (HttpContext context) =>
        {
            Interlocked.Increment(ref _tileRequests);
            context.Response.ContentType = "image/png";
            await FakeServer.WriteAsync(context, TilePng);
        }));
        _tileBase = _tiles.Address;
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_tiles is not null)
            await _tiles.DisposeAsync();
    }

    private async Task<(IPage Page, int IncidentId)> ComposerAsync(int width, int height)
    {
        var admin = await NewPageAsync();
        await admin.SignInAsync("admin", AdminPassword);
        await admin.AddUserAsync("op.map", "op.map", "Operator", "op.map-password");
        await admin.AddUserAsync("approver.map", "approver.map", "Approver", "approver.map-password");
        var op = await NewPageAsync();
        await op.SetViewportSizeAsync(width, height);
        await op.SignInAsync("op.map", "op.map-password");
        var opened = await op.Context.APIRequest.PostAsync("/api/incidents", new() { DataObject = new { name = "River Ouse flood" }, Headers = PageActions.ScriptHeaders });
        var incidentId = JsonDocument.Parse(await opened.TextAsync()).RootElement.GetProperty("id").GetInt32();
        await op.GotoAsync($"/incidents/{incidentId}/alerts");
        await op.WaitForCircuitAsync();
        await op.GetByTestId("new-alert").ClickAsync();
        return (op, incidentId);
    }

    private static async Task TypeAsync(IPage page, string label, string text)
    {
        var field = page.GetByLabel(label).First;
        await field.FillAsync(text);
        await field.PressAsync("Tab");
    }

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task An_operator_draws_the_area_with_the_mouse_and_the_issued_alert_and_feed_carry_that_polygon(int width, int height)
    {
        var (op, _) = await ComposerAsync(width, height);
        await op.GetByTestId("preset-flood-warning").ClickAsync();
        await TypeAsync(op, "Headline (CAP headline)", "Evacuate Lower Town now");
        await TypeAsync(op, "Area 1: name (CAP areaDesc)", "Lower Town");
        // Typing a circle moves the map to it: text → map.
        await TypeAsync(op, "Circles (CAP circle)", "53.96,-1.08 0.5");
        var map = op.GetByTestId("map-info[1].area[1]");
        await map.Locator(".leaflet-overlay-pane path").First.WaitForAsync();
        await map.Locator(".map-canvas[data-tiles=on]").WaitForAsync();
        Assert.True(Volatile.Read(ref _tileRequests) > 0, "the browser fetched no tile from the configured tile server");
        Assert.Contains("Test tiles", await map.Locator(".leaflet-control-attribution").InnerTextAsync(), StringComparison.Ordinal);

        // Draw a polygon with the mouse: the polygon tool, four corners, and the first corner again to close it.
        // In the middle of the window: clear of the app bar above and the composer's sticky action bar below.
        await map.Locator(".map-canvas").EvaluateAsync("e => e.scrollIntoView({ block: 'center' })");
        await map.Locator(".leaflet-pm-icon-polygon").ClickAsync();
        var box = (await map.Locator(".map-canvas").BoundingBoxAsync())!;
        var (cx, cy) = (box.X + box.Width / 2, box.Y + box.Height / 2);
        // Below the centre: the tool's action bar (Finish, Remove Last Vertex, Cancel) sits level with the top of the map's middle.
        var corners = new (float X, float Y)[] { (cx - 60, cy + 60), (cx + 60, cy + 60), (cx + 60, cy + 140), (cx - 60, cy + 140), (cx - 60, cy + 60) };
        foreach (var (x, y) in corners)
        {
            await op.Mouse.MoveAsync(x, y, new() { Steps = 3 });
            await op.Mouse.ClickAsync(x, y);
            await op.WaitForTimeoutAsync(150);
        }

        // map → text: the CAP polygon appears in its field, closed, readable, with no problem shown.
        var polygonField = op.GetByLabel("Polygons (CAP polygon)").First;
        await Assertions.Expect(polygonField).ToHaveValueAsync(new Regex(@"^\S+(\s\S+){4}$"));
        var polygonText = await polygonField.InputValueAsync();
        var polygon = CapShapes.ReadPolygon(polygonText, out var problem);
        Assert.True(problem is null, $"drawn polygon '{polygonText}': {problem}");
        Assert.Equal(5, polygon!.Points.Count);
        Assert.All(polygon.Points, p => Assert.InRange((double)p.Latitude, 53.9, 54.0));
        Assert.Equal("53.96,-1.08 0.5", await op.GetByLabel("Circles (CAP circle)").First.InputValueAsync());
        await Assertions.Expect(op.GetByTestId("problems-info[1].area[1].polygon")).ToHaveCountAsync(0);
        await op.ScreenshotAsync($"map-composer-{width}x{height}");
        await op.AssertNoHorizontalScrollAsync("the composer with its map");

        var submit = op.GetByTestId("submit");
        await submit.ClickAsync();
        await op.GetByText("Submitted: another person").First.WaitForAsync();
        await op.WaitForURLAsync(new Regex(@"/alerts/\d+$"));
        var alertUrl = new Uri(op.Url).AbsolutePath;
        var alertId = int.Parse(alertUrl[(alertUrl.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

        // The Approver sees the same area on a map without drawing tools, and issues the alert.
        var approver = await NewPageAsync();
        await approver.SetViewportSizeAsync(width, height);
        await approver.SignInAsync("approver.map", "approver.map-password");
        await approver.GotoAsync(alertUrl);
        await approver.WaitForCircuitAsync();
        var summaryMap = approver.GetByTestId("summary-map").First;
        await summaryMap.Locator(".leaflet-overlay-pane path").Nth(1).WaitForAsync();
        Assert.Equal(0, await summaryMap.Locator(".leaflet-pm-toolbar").CountAsync());
        Assert.Equal("false", await summaryMap.Locator(".map-canvas").GetAttributeAsync("data-editable"));
        await approver.ScreenshotAsync($"map-approver-{width}x{height}");
        await approver.GetByTestId("decision-comment").FillAsync("Area checked on the map");
        await approver.GetByTestId("approve").ClickAsync();
        await approver.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Approve and issue" }).ClickAsync();
        await approver.GetByTestId("issued-note").WaitForAsync();

        // The public feed carries the drawn polygon; the alert's own CAP document has it and is valid CAP 1.2.
        using var anonymous = new HttpClient { BaseAddress = App.BaseAddress };
        var feed = await PageActions.EventuallyAsync(() => anonymous.GetStringAsync("/cap/feed.atom"),
            f => f.Contains("Evacuate Lower Town now", StringComparison.Ordinal), "the alert in the feed");
        XNamespace cap = CapXml.Namespace;
        var entry = XDocument.Parse(feed).Descendants(XName.Get("entry", CapAtomFeed.AtomNamespace)).Single();
        Assert.Equal(polygonText, entry.Element(cap + "polygon")!.Value);
        Assert.Equal("53.96,-1.08 0.5", entry.Element(cap + "circle")!.Value);
        var identifier = JsonDocument.Parse(await (await op.Context.APIRequest.GetAsync($"/api/alerts/{alertId}")).TextAsync())
            .RootElement.GetProperty("alert").GetProperty("identifier").GetString()!;
        var document = await anonymous.GetStringAsync($"/cap/alerts/{Uri.EscapeDataString(identifier)}.xml");
        Assert.Equal(polygonText, XDocument.Parse(document).Descendants(cap + "polygon").Single().Value);
        AssertValidForXmllint(document);
    }

    [Fact]
    public async Task With_the_tile_server_down_the_map_shows_the_bundled_world_map_and_says_tiles_are_off()
    {
        await _tiles!.DisposeAsync();
        _tiles = null;
        var (op, _) = await ComposerAsync(1440, 900);
        await TypeAsync(op, "Circles (CAP circle)", "53.96,-1.08 0.5");

        var map = op.GetByTestId("map-info[1].area[1]");
        var note = map.GetByTestId("tiles-off");
        await note.WaitForAsync();
        Assert.Contains("Map tiles are off", await note.InnerTextAsync(), StringComparison.Ordinal);
        await map.Locator(".map-canvas[data-basemap=loaded]").WaitForAsync();
        Assert.True(await map.Locator(".leaflet-basemap-pane path").CountAsync() > 0, "the bundled world map drew no land");
        // Drawing still works without tiles: the typed circle is on the map.
        await map.Locator(".leaflet-overlay-pane path").First.WaitForAsync();
        await map.ScrollIntoViewIfNeededAsync();
        await op.ScreenshotAsync("map-tiles-off-1440x900");
    }

    private static void AssertValidForXmllint(string document)
    {
        const string xmllint = "/usr/bin/xmllint";
        Assert.True(File.Exists(xmllint), "xmllint is missing: install Debian's libxml2-utils; this check must not be skipped");
        var directory = Directory.CreateTempSubdirectory("crisisdesk-map-").FullName;
        try
        {
            var schema = Path.Combine(directory, "cap12.xsd");
            using (var resource = typeof(CapXml).Assembly.GetManifestResourceStream("CrisisDesk.Core.Alerts.Schema.cap12.xsd")!)
            using (var file = File.Create(schema))
                resource.CopyTo(file);
            var alert = Path.Combine(directory, "alert.cap");
            File.WriteAllText(alert, document);
            var start = new System.Diagnostics.ProcessStartInfo(xmllint) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in (string[])["--noout", "--nonet", "--schema", schema, alert])
                start.ArgumentList.Add(argument);
            using var process = System.Diagnostics.Process.Start(start)!;
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"xmllint rejected the issued CAP ({process.ExitCode}): {stderr}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
