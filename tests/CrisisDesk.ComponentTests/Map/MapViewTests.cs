using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Map;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.JSInterop;

namespace CrisisDesk.ComponentTests.Map;

/// <summary>MapView's parameters reach its JS module (arguments checked as sent), and what the browser reports comes back.</summary>
public sealed class MapViewTests : ComponentTest
{
    private const string Module = "./Features/Map/MapView.razor.js";

    private static readonly MapShapes Square = new(
        [CapShapes.ReadPolygon("53.9,-1.1 53.95,-1.1 53.95,-1.0 53.9,-1.0 53.9,-1.1", out _)!],
        [new CapCircle(new CapPoint(53.92m, -1.05m), 2.5m)]);

    private BunitJSModuleInterop SetupModule() => Context.JSInterop.SetupModule(Module);

    private static JsonElement Argument(JSRuntimeInvocation invocation, int index) =>
        JsonSerializer.SerializeToElement(invocation.Arguments[index], new JsonSerializerOptions(JsonSerializerDefaults.Web));

    [Fact]
    public void The_map_starts_with_the_configured_tiles_and_attribution_and_the_bundled_basemap()
    {
        Context.Services.Configure<MapOptions>(o =>
        {
            o.TileUrl = "https://tiles.example.gov/{z}/{x}/{y}.png";
            o.Attribution = "© Example mapping";
            o.MaxZoom = 17;
        });
        var module = SetupModule();

        var map = Context.Render<MapView>(p => p.Add(m => m.Label, "Map of the flood area").Add(m => m.Height, "420px"));

        var options = Argument(module.VerifyInvoke("create"), 2);
        Assert.Equal("https://tiles.example.gov/{z}/{x}/{y}.png", options.GetProperty("tileUrl").GetString());
        Assert.Equal("© Example mapping", options.GetProperty("attribution").GetString());
        Assert.Equal(17, options.GetProperty("maxZoom").GetInt32());
        Assert.Equal("lib/world-atlas/land-110m.json", options.GetProperty("basemapUrl").GetString());
        Assert.False(options.GetProperty("editable").GetBoolean());
        var canvas = map.Find(".map-canvas");
        Assert.Equal("Map of the flood area", canvas.GetAttribute("aria-label"));
        Assert.Contains("height:420px", canvas.GetAttribute("style"), StringComparison.Ordinal);
        Assert.Empty(map.FindAll("[data-testid='tiles-off']"));
    }

    [Fact]
    public void The_default_tiles_are_openstreetmaps_with_its_attribution()
    {
        var module = SetupModule();

        Context.Render<MapView>();

        var options = Argument(module.VerifyInvoke("create"), 2);
        Assert.Equal("https://tile.openstreetmap.org/{z}/{x}/{y}.png", options.GetProperty("tileUrl").GetString());
        Assert.Contains("OpenStreetMap", options.GetProperty("attribution").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_browser_cannot_load_tiles_the_map_says_so_and_clears_the_note_when_they_come_back()
    {
        SetupModule();
        var map = Context.Render<MapView>();

        await map.InvokeAsync(() => map.Instance.TilesUnavailable("the tile server cannot be reached"));

        var note = map.Find("[data-testid='tiles-off']");
        Assert.Contains("Map tiles are off (the tile server cannot be reached)", note.TextContent, StringComparison.Ordinal);
        Assert.Contains("built-in world map", note.TextContent, StringComparison.Ordinal);
        Assert.True(map.Instance.TilesOff);

        await map.InvokeAsync(() => map.Instance.TilesAvailable());
        Assert.Empty(map.FindAll("[data-testid='tiles-off']"));
    }

    [Fact]
    public void With_no_tile_server_configured_the_note_is_there_from_the_start()
    {
        Context.Services.Configure<MapOptions>(o => o.TileUrl = "");
        var module = SetupModule();

        var map = Context.Render<MapView>();

        Assert.Contains("none are configured", map.Find("[data-testid='tiles-off']").TextContent, StringComparison.Ordinal);
        Assert.Equal("", Argument(module.VerifyInvoke("create"), 2).GetProperty("tileUrl").GetString());
    }

    [Fact]
    public void Prerendered_with_an_address_for_its_points_the_map_carries_what_the_page_needs_to_draw_it_early()
    {
        Context.Services.Configure<MapOptions>(o => o.TileUrl = "https://tiles.example.gov/{z}/{x}/{y}.png");
        SetupModule();
        Context.SetRendererInfo(new RendererInfo("Static", false));

        var map = Context.Render<MapView>(p => p
            .Add(m => m.TestId, "warroom-map")
            .Add(m => m.EarlyPointsUrl, "/api/incidents/7/map/points")
            .Add(m => m.Areas, [new MapArea("Lower Town", "#b00020", Square)]));

        var canvas = map.Find(".map-canvas");
        Assert.Equal("/api/incidents/7/map/points", canvas.GetAttribute("data-early-points"));
        Assert.Equal("warroom-map|/api/incidents/7/map/points", canvas.GetAttribute("data-map-key"));
        using var early = JsonDocument.Parse(canvas.GetAttribute("data-early")!);
        var options = early.RootElement.GetProperty("options");
        Assert.Equal("https://tiles.example.gov/{z}/{x}/{y}.png", options.GetProperty("tileUrl").GetString());
        Assert.False(options.GetProperty("editable").GetBoolean());
        var area = early.RootElement.GetProperty("areas")[0];
        Assert.Equal("Lower Town", area.GetProperty("label").GetString());
        Assert.Equal(5, area.GetProperty("shapes").GetProperty("polygons")[0].GetArrayLength());
        Assert.Equal(2500, area.GetProperty("shapes").GetProperty("circles")[0].GetProperty("radius").GetDouble());
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Only_a_prerendered_read_only_map_is_drawn_early(bool interactive, bool editable)
    {
        SetupModule();
        Context.SetRendererInfo(new RendererInfo(interactive ? "Server" : "Static", interactive));

        var map = Context.Render<MapView>(p => p
            .Add(m => m.EarlyPointsUrl, "/api/incidents/7/map/points")
            .Add(m => m.Editable, editable));

        var canvas = map.Find(".map-canvas");
        Assert.Null(canvas.GetAttribute("data-early"));
        Assert.Null(canvas.GetAttribute("data-early-points"));
        // The key stays: the interactive map finds by it the map drawn early, to adopt it.
        Assert.Equal("map|/api/incidents/7/map/points", canvas.GetAttribute("data-map-key"));
    }

    [Fact]
    public void Read_only_areas_are_sent_with_their_colour_label_closed_rings_and_radius_in_metres()
    {
        var module = SetupModule();

        Context.Render<MapView>(p => p.Add(m => m.Areas, [new MapArea("Lower Town", "#b00020", Square)]));

        var area = Argument(module.VerifyInvoke("setAreas"), 1)[0];
        Assert.Equal("Lower Town", area.GetProperty("label").GetString());
        Assert.Equal("#b00020", area.GetProperty("colour").GetString());
        var ring = area.GetProperty("shapes").GetProperty("polygons")[0];
        Assert.Equal(5, ring.GetArrayLength());
        Assert.Equal(53.9, ring[0][0].GetDouble());
        Assert.Equal(-1.1, ring[0][1].GetDouble());
        var circle = area.GetProperty("shapes").GetProperty("circles")[0];
        Assert.Equal(2500, circle.GetProperty("radius").GetDouble());
        Assert.Equal(53.92, circle.GetProperty("lat").GetDouble());
    }

    [Fact]
    public async Task An_editable_map_reports_a_drawing_as_cap_shapes_and_does_not_send_the_echo_back()
    {
        var module = SetupModule();
        MapShapes? reported = null;
        var map = Context.Render<MapView>(p => p
            .Add(m => m.Editable, true)
            .Add(m => m.DrawingChanged, shapes => reported = shapes));
        Assert.True(Argument(module.VerifyInvoke("create"), 2).GetProperty("editable").GetBoolean());
        var sentBefore = module.Invocations["setDrawing"].Count;

        // What Leaflet hands over: an open ring of unrounded points and a circle in metres.
        await map.InvokeAsync(() => map.Instance.ShapesDrawn(new MapShapesWire
        {
            Polygons = [[[53.959012345, -1.0815], [53.962, -1.07], [53.955, -1.065]]],
            Circles = [new MapCircleWire { Lat = 53.95, Lon = -1.06, Radius = 1234.5 }],
        }));

        Assert.NotNull(reported);
        Assert.Equal("53.95901,-1.0815 53.962,-1.07 53.955,-1.065 53.95901,-1.0815", reported!.Polygons.Single().ToString());
        Assert.Equal("53.95,-1.06 1.235", reported.Circles.Single().ToString());
        map.Render(p => p.Add(m => m.Drawing, reported));
        Assert.Equal(sentBefore, module.Invocations["setDrawing"].Count);

        // Typed text that changes the shapes is sent to the map.
        map.Render(p => p.Add(m => m.Drawing, Square));
        var sent = Argument(module.Invocations["setDrawing"][^1], 1);
        Assert.Equal(5, sent.GetProperty("polygons")[0].GetArrayLength());

        map.Render(p => p.Add(m => m.Editable, false));
        Assert.False(Argument(module.VerifyInvoke("setEditable"), 1).GetBoolean());
    }

    [Fact]
    public async Task Markers_are_sent_and_a_click_in_the_browser_reaches_the_page()
    {
        var module = SetupModule();
        long? clicked = null;
        var map = Context.Render<MapView>(p => p
            .Add(m => m.Markers, [new MapMarker(42, 48.1, 6.2, "@someone: smoke near the pass"), new MapMarker(43, -33.9, 151.2, "@other: all clear")])
            .Add(m => m.MarkerClicked, id => clicked = id));

        // One flat array (id, latitude, longitude, …); the labels stay on the server until a tooltip asks.
        var sent = Argument(module.VerifyInvoke("setMarkers"), 1);
        Assert.Equal([42, 48.1, 6.2, 43, -33.9, 151.2], sent.EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal("@other: all clear", map.Instance.MarkerLabel(43));
        Assert.Equal("", map.Instance.MarkerLabel(7));

        await map.InvokeAsync(() => map.Instance.MarkerClick(42));
        Assert.Equal(42, clicked);
    }

    [Fact]
    public async Task Markers_given_while_the_browser_still_makes_the_map_are_sent_once_it_exists()
    {
        var module = SetupModule();
        var create = module.SetupVoid("create", _ => true);
        var map = Context.Render<MapView>();
        // The panel's first read lands while Leaflet is still loading in the browser.
        map.Render(p => p.Add(m => m.Markers, [new MapMarker(42, 48.1, 6.2, "@someone: smoke")]));
        Assert.DoesNotContain(module.Invocations, i => i.Identifier == "setMarkers");

        create.SetVoidResult();
        await map.WaitForAssertionAsync(() =>
        {
            var sent = Argument(module.VerifyInvoke("setMarkers"), 1);
            Assert.Equal([42, 48.1, 6.2], sent.EnumerateArray().Select(v => v.GetDouble()));
        });
    }

    [Fact]
    public async Task Left_while_its_module_loads_it_creates_no_map_and_releases_the_module()
    {
        // The import is still on its way when the person navigates away (the war room left for Sources, under load).
        var runtime = new PendingImportRuntime();
        Context.Services.AddSingleton<IJSRuntime>(runtime);
        Context.Render<MapView>();
        await WaitUntilAsync(() => runtime.Imported.Count == 1);
        Assert.Equal(Module, runtime.Imported[0]);
        await Context.DisposeComponentsAsync();

        var module = new RecordingModule();
        await Context.Renderer.Dispatcher.InvokeAsync(() => runtime.Import.SetResult(module));

        // No map made for a component that is gone (its .NET reference is disposed: the call threw, and the page's
        // error boundary took the next page for it), and the module released.
        await WaitUntilAsync(() => module.Disposed);
        Assert.Empty(module.Calls);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var waited = 0; !condition(); waited += 10)
        {
            Assert.True(waited < 5_000, "waited 5 s");
            await Task.Delay(10);
        }
    }

    /// <summary>A JS runtime whose module import completes when the test says.</summary>
    private sealed class PendingImportRuntime : IJSRuntime
    {
        public TaskCompletionSource<IJSObjectReference> Import { get; } = new();

        public List<string> Imported { get; } = [];

        public async ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args)
        {
            Assert.Equal("import", identifier);
            Imported.Add((string)args![0]!);
            return (TValue)await Import.Task;
        }

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => InvokeAsync<TValue>(identifier, args);
    }

    /// <summary>A module that records what is called on it.</summary>
    private sealed class RecordingModule : IJSObjectReference
    {
        public List<string> Calls { get; } = [];

        public bool Disposed { get; private set; }

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args)
        {
            Calls.Add(identifier);
            return ValueTask.FromResult(default(TValue)!);
        }

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => InvokeAsync<TValue>(identifier, args);

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
