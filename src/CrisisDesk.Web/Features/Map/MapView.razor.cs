using System.Text.Json;
using CrisisDesk.Core.Alerts;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;

namespace CrisisDesk.Web.Features.Map;

public sealed partial class MapView : IAsyncDisposable
{
    private const string ModulePath = "./Features/Map/MapView.razor.js";

    private ElementReference _element;
    private IJSObjectReference? _module;
    // The browser's map exists: set only once "create" has returned. Renders while it is being made (the module
    // loaded, Leaflet still loading) must not send anything: the browser would drop it, and it would count as shown.
    private bool _created;
    // Gone: a panel's read still in flight when the page is left must not reach the disposed module.
    private bool _disposed;
    private DotNetObjectReference<MapView>? _self;
    private string? _tilesOff;
    private string? _failed;

    // What the browser shows now, so that a render only sends what changed (and an edit echoed back is not resent).
    private MapShapes? _shownDrawing;
    private IReadOnlyList<MapArea>? _shownAreas;
    private IReadOnlyList<MapMarker>? _shownMarkers;
    private bool _shownEditable;
    private readonly List<MapMarker> _pendingMarkers = [];
    private readonly Dictionary<long, string> _labels = [];

    [Inject] private IJSRuntime JS { get; set; } = default!;
    [Inject] private IOptions<MapOptions> Options { get; set; } = default!;

    /// <summary>What the map is of, for screen readers.</summary>
    [Parameter] public string Label { get; set; } = "Map";

    [Parameter] public string Height { get; set; } = "360px";

    [Parameter] public string TestId { get; set; } = "map";

    /// <summary>Areas shown read-only, each in its colour.</summary>
    [Parameter] public IReadOnlyList<MapArea> Areas { get; set; } = [];

    /// <summary>The shapes being drawn (editable when <see cref="Editable"/>; shown read-only otherwise).</summary>
    [Parameter] public MapShapes Drawing { get; set; } = MapShapes.Empty;

    /// <summary>Show the drawing tools: polygons, rectangles and circles, edit, move and remove.</summary>
    [Parameter] public bool Editable { get; set; }

    /// <summary>Raised with the whole drawing, as CAP shapes, after each drawing, edit, move or removal.</summary>
    [Parameter] public EventCallback<MapShapes> DrawingChanged { get; set; }

    [Parameter] public IReadOnlyList<MapMarker> Markers { get; set; } = [];

    [Parameter] public EventCallback<long> MarkerClicked { get; set; }

    /// <summary>Raised with what the map shows after each pan or zoom (and once it is first drawn).</summary>
    [Parameter] public EventCallback<GeoBox> ViewChanged { get; set; }

    /// <summary>
    /// Where the markers can be fetched over HTTP (a <see cref="MapEndpoints.PointsUrl"/>): a read-only map given one
    /// is drawn by the prerendered page itself, with these points and the areas, while its circuit is still starting;
    /// the interactive component then adopts that map (MapView.razor.js) instead of making its own. The markers sent
    /// later must be the same posts (the newest first) for nothing to be redrawn.
    /// </summary>
    [Parameter] public string? EarlyPointsUrl { get; set; }

    private bool DrawsEarly => EarlyPointsUrl is not null && !Editable && !RendererInfo.IsInteractive;

    // Pairs the prerendered map with the interactive one that replaces it (Blazor replaces prerendered markup whole).
    private string? EarlyKey => EarlyPointsUrl is null ? null : $"{TestId}|{EarlyPointsUrl}";

    private string EarlyJson() => JsonSerializer.Serialize(new
    {
        options = CreateOptions(),
        areas = AreasWire(Areas),
    }, JsonSerializerOptions.Web);

    /// <summary>Whether the browser reported that tiles could not be loaded (or none are configured).</summary>
    public bool TilesOff => _tilesOff is not null;

    protected override void OnInitialized()
    {
        if (Options.Value.TileUrl.Length == 0)
            _tilesOff = "none are configured";
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            try
            {
                _self = DotNetObjectReference.Create(this);
                var module = await JS.InvokeAsync<IJSObjectReference>("import", ModulePath);
                if (_disposed)
                {
                    // Left while the module loaded (a quick navigation away): DisposeAsync had no module to release.
                    await module.DisposeAsync();
                    return;
                }
                _module = module;
                await _module.InvokeVoidAsync("create", _element, _self, CreateOptions());
                _created = true;
                _shownEditable = Editable;
            }
            catch (ObjectDisposedException) when (_disposed)
            {
                // Left while the map was being created; its ErrorBoundary must not take the next page for it.
                return;
            }
            catch (JSException e)
            {
                _failed = e.Message;
                StateHasChanged();
                return;
            }
            catch (JSDisconnectedException)
            {
                return;
            }
        }
        if (!_created || _disposed)
            return;
        try
        {
            await SyncAsync();
        }
        catch (JSDisconnectedException)
        {
        }
        catch (ObjectDisposedException) when (_disposed)
        {
            // Left while sending: nothing is left to update.
        }
    }

    private object CreateOptions()
    {
        var options = Options.Value;
        return new
        {
            tileUrl = options.TileUrl,
            attribution = options.Attribution,
            maxZoom = options.MaxZoom,
            basemapUrl = "lib/world-atlas/land-110m.json",
            editable = Editable,
            reportView = ViewChanged.HasDelegate,
        };
    }

    private static IEnumerable<object> AreasWire(IReadOnlyList<MapArea> areas) =>
        areas.Select(a => new { label = a.Label, colour = a.Colour, shapes = MapShapesWire.From(a.Shapes) });

    private async Task SyncAsync()
    {
        if (_shownEditable != Editable)
        {
            _shownEditable = Editable;
            await _module!.InvokeVoidAsync("setEditable", _element, Editable);
        }
        if (!ReferenceEquals(_shownAreas, Areas))
        {
            _shownAreas = Areas;
            await _module!.InvokeVoidAsync("setAreas", _element, AreasWire(Areas));
        }
        if (_shownDrawing != Drawing)
        {
            _shownDrawing = Drawing;
            await _module!.InvokeVoidAsync("setDrawing", _element, MapShapesWire.From(Drawing));
        }
        if (!ReferenceEquals(_shownMarkers, Markers))
        {
            _shownMarkers = Markers;
            _labels.Clear();
            await _module!.InvokeVoidAsync("setMarkers", _element, Wire(Markers));
        }
        if (_pendingMarkers.Count > 0)
        {
            var pending = _pendingMarkers.ToList();
            _pendingMarkers.Clear();
            await _module!.InvokeVoidAsync("addMarkers", _element, Wire(pending));
        }
    }

    /// <summary>Adds markers without resending those shown (a live update).</summary>
    public async Task AddMarkersAsync(IReadOnlyList<MapMarker> markers)
    {
        if (markers.Count == 0 || _disposed)
            return;
        if (!_created)
        {
            // The map is not up yet: these go with the first markers sent.
            _pendingMarkers.AddRange(markers);
            return;
        }
        try
        {
            await _module!.InvokeVoidAsync("addMarkers", _element, Wire(markers));
        }
        catch (JSDisconnectedException)
        {
        }
    }

    /// <summary>
    /// Markers go to the browser as one flat array (id, latitude, longitude, …): ten thousand of them are a few hundred
    /// kilobytes instead of megabytes of labels; a marker's label is asked for when its tooltip opens.
    /// </summary>
    private double[] Wire(IReadOnlyList<MapMarker> markers)
    {
        var wire = new double[markers.Count * 3];
        for (var i = 0; i < markers.Count; i++)
        {
            var m = markers[i];
            (wire[3 * i], wire[3 * i + 1], wire[3 * i + 2]) = (m.Id, m.Latitude, m.Longitude);
            _labels[m.Id] = m.Label;
        }
        return wire;
    }

    [JSInvokable]
    public string MarkerLabel(long id) => _labels.GetValueOrDefault(id, "");

    [JSInvokable]
    public async Task ShapesDrawn(MapShapesWire drawn)
    {
        var shapes = drawn.ToShapes();
        _shownDrawing = shapes;
        await DrawingChanged.InvokeAsync(shapes);
    }

    [JSInvokable]
    public async Task MarkerClick(long id) => await MarkerClicked.InvokeAsync(id);

    [JSInvokable]
    public async Task ViewMoved(GeoBox view) => await ViewChanged.InvokeAsync(view);

    [JSInvokable]
    public Task TilesUnavailable(string reason)
    {
        _tilesOff = reason;
        StateHasChanged();
        return Task.CompletedTask;
    }

    [JSInvokable]
    public Task TilesAvailable()
    {
        if (Options.Value.TileUrl.Length > 0 && _tilesOff is not null)
        {
            _tilesOff = null;
            StateHasChanged();
        }
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("dispose", _element);
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
            }
        }
        _self?.Dispose();
    }
}
