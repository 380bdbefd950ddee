// The browser side of MapView: Leaflet 1.9 with leaflet-geoman (drawing) and leaflet.markercluster, all vendored
// under wwwroot/lib. Leaflet and its plugins are UMD files that expect a global L; this module loads them itself,
// once, when the first map opens, so no page carries them in a <script> tag.
const lib = "lib/";
const maps = new WeakMap();
let loading = null;

function loadScript(src) {
    return new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = () => reject(new Error(`${src} could not be loaded`));
        document.head.appendChild(script);
    });
}

function loadStyle(href) {
    if (document.querySelector(`link[data-map-style="${href}"]`)) return;
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    link.dataset.mapStyle = href;
    document.head.appendChild(link);
}

function loadLeaflet() {
    if (!loading) {
        ["leaflet/leaflet.css", "leaflet-geoman/leaflet-geoman.css", "leaflet.markercluster/MarkerCluster.css",
            "leaflet.markercluster/MarkerCluster.Default.css"].forEach(css => loadStyle(lib + css));
        loading = (window.L ? Promise.resolve() : loadScript(lib + "leaflet/leaflet.js"))
            .then(() => Promise.all([
                window.L.PM ? null : loadScript(lib + "leaflet-geoman/leaflet-geoman.min.js"),
                window.L.MarkerClusterGroup ? null : loadScript(lib + "leaflet.markercluster/leaflet.markercluster.js"),
                window.topojson ? null : loadScript(lib + "topojson-client/topojson-client.min.js"),
            ]));
        loading.catch(() => { loading = null; });
    }
    return loading;
}

function layersOf(L, shapes, style) {
    const layers = [];
    for (const ring of shapes.polygons || []) {
        // CAP closes its rings by repeating the first pair; Leaflet closes them itself.
        const open = ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1] ? ring.slice(0, -1) : ring;
        layers.push(L.polygon(open, style));
    }
    for (const c of shapes.circles || []) {
        layers.push(L.circle([c.lat, c.lon], { ...style, radius: c.radius }));
    }
    return layers;
}

function drawingOf(group) {
    const polygons = [];
    const circles = [];
    group.eachLayer(layer => {
        if (layer instanceof window.L.Circle) {
            const c = layer.getLatLng();
            circles.push({ lat: c.lat, lon: c.lng, radius: layer.getRadius() });
        } else if (layer instanceof window.L.Polygon) {
            let rings = layer.getLatLngs();
            while (Array.isArray(rings[0]) && Array.isArray(rings[0][0])) rings = rings[0];
            const ring = Array.isArray(rings[0]) ? rings[0] : rings;
            polygons.push(ring.map(p => [p.lat, p.lng]));
        }
    });
    return { polygons, circles };
}

class CrisisMap {
    constructor(element, dotnet, options) {
        const L = window.L;
        this.L = L;
        this.dotnet = dotnet;
        this.options = options;
        this.map = L.map(element, { worldCopyJump: true, minZoom: 1, maxZoom: options.maxZoom || 19 }).setView([20, 0], 2);
        // The bundled world map sits under the tiles: seen only where tiles did not load.
        this.map.createPane("basemap").style.zIndex = 150;
        this.areas = L.featureGroup().addTo(this.map);
        this.drawing = L.featureGroup().addTo(this.map);
        // Spider legs are drawn, not clicked: only a post's own marker answers a click.
        this.markers = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false,
            spiderLegPolylineOptions: { weight: 1.5, color: "#222", opacity: 0.5, interactive: false } });
        this.map.addLayer(this.markers);
        // One listener on the group for every marker (ten thousand markers with their own listeners cost seconds to
        // add); a marker's label is asked for the first time the pointer rests on it (labels are not sent with markers).
        this.markers.on("click", e => { if (e.layer.postId !== undefined) this.dotnet.invokeMethodAsync("MarkerClick", e.layer.postId); });
        this.markers.on("mouseover", e => {
            const marker = e.layer;
            if (marker.postId === undefined || marker.getTooltip()) return;
            marker.bindTooltip("…").openTooltip();
            this.dotnet.invokeMethodAsync("MarkerLabel", marker.postId).then(label => marker.setTooltipContent(label || "A post"));
        });
        this.markerIds = new Set();
        this.fitted = false;
        if (options.reportView) {
            // The war room filters its feed by what the map shows: say so after each pan or zoom has settled.
            const report = () => {
                const b = this.map.getBounds();
                this.dotnet.invokeMethodAsync("ViewMoved", { south: b.getSouth(), west: b.getWest(), north: b.getNorth(), east: b.getEast() });
            };
            this.map.on("moveend", report);
            this.map.whenReady(report);
        }
        this.loadBasemap(options.basemapUrl);
        this.addTiles(options);
        this.setEditable(options.editable);
    }

    async loadBasemap(url) {
        try {
            const response = await fetch(url);
            const topology = await response.json();
            const land = window.topojson.feature(topology, topology.objects.land);
            this.L.geoJSON(land, {
                pane: "basemap",
                renderer: this.L.svg({ pane: "basemap" }),
                interactive: false,
                // Background, never a shape to edit, remove or snap to.
                pmIgnore: true,
                snapIgnore: true,
                style: { color: "#8a8f7a", weight: 0.6, fillColor: "#eeeadf", fillOpacity: 1 },
            }).addTo(this.map);
            this.map.getContainer().dataset.basemap = "loaded";
        } catch (e) {
            this.map.getContainer().dataset.basemap = "failed";
        }
    }

    addTiles(options) {
        if (!options.tileUrl) return;
        let loaded = 0;
        let failed = 0;
        const tiles = this.L.tileLayer(options.tileUrl, { attribution: options.attribution, maxZoom: options.maxZoom || 19 });
        tiles.on("tileload", () => {
            loaded++;
            if (this.tilesOff) {
                this.tilesOff = false;
                this.dotnet.invokeMethodAsync("TilesAvailable");
            }
            this.map.getContainer().dataset.tiles = "on";
        });
        tiles.on("tileerror", () => {
            failed++;
            // Some tiles failing is the network's weather; none loading at all means the tiles are off.
            if (loaded === 0 && !this.tilesOff) {
                this.tilesOff = true;
                this.map.getContainer().dataset.tiles = "off";
                this.dotnet.invokeMethodAsync("TilesUnavailable", "the tile server cannot be reached");
            }
        });
        tiles.addTo(this.map);
    }

    setEditable(editable) {
        const map = this.map;
        if (!map.pm) return;
        if (editable) {
            map.pm.setGlobalOptions({ layerGroup: this.drawing, snappable: false, pathOptions: { color: "#b00020" } });
            map.pm.addControls({
                position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawText: false,
                cutPolygon: false, rotateMode: false, drawPolygon: true, drawRectangle: true, drawCircle: true,
                editMode: true, dragMode: true, removalMode: true,
            });
            // geoman titles the button's container, not the button: give each button its name for screen readers.
            map.getContainer().querySelectorAll(".button-container[title]").forEach(container => {
                const button = container.querySelector("a[role=button]");
                if (button && !button.getAttribute("aria-label")) button.setAttribute("aria-label", container.title);
            });
            if (!this.editHooks) {
                this.editHooks = true;
                const changed = () => this.dotnet.invokeMethodAsync("ShapesDrawn", drawingOf(this.drawing))
                    .catch(e => console.error("CrisisDesk map: the drawing could not be sent", e));
                map.on("pm:create", e => { this.hook(e.layer, changed); changed(); });
                map.on("pm:remove", changed);
                this.changed = changed;
            }
            this.drawing.eachLayer(layer => this.hook(layer, this.changed));
        } else {
            map.pm.removeControls();
            map.pm.disableDraw();
            map.pm.disableGlobalEditMode();
            map.pm.disableGlobalDragMode();
            map.pm.disableGlobalRemovalMode();
        }
        this.editable = editable;
    }

    hook(layer, changed) {
        if (layer._crisisHooked) return;
        layer._crisisHooked = true;
        layer.on("pm:edit", changed);
        layer.on("pm:dragend", changed);
    }

    setAreas(areas) {
        this.areas.clearLayers();
        for (const area of areas) {
            const style = { color: area.colour, weight: 2, fillColor: area.colour, fillOpacity: 0.2, pmIgnore: true };
            for (const layer of layersOf(this.L, area.shapes, style)) {
                if (area.label) layer.bindTooltip(area.label);
                this.areas.addLayer(layer);
            }
        }
        this.fit();
    }

    setDrawing(shapes) {
        this.drawing.clearLayers();
        const style = { color: "#b00020", weight: 2, fillOpacity: 0.2, pmIgnore: !this.editable };
        for (const layer of layersOf(this.L, shapes, style)) {
            this.drawing.addLayer(layer);
            if (this.editable && this.changed) this.hook(layer, this.changed);
        }
        this.fit();
    }

    setMarkers(markers) {
        // When the markers arrived (ms after navigation start): what the map bench reads.
        this.map.getContainer().dataset.markersSentAt = String(Math.round(performance.now()));
        this.markers.clearLayers();
        this.markerIds.clear();
        this.addMarkers(markers);
        this.fit();
    }

    // markers: a flat array of id, latitude, longitude for each marker.
    addMarkers(markers) {
        const L = this.L;
        const layers = [];
        for (let k = 0; k + 2 < markers.length; k += 3) {
            const id = markers[k];
            if (this.markerIds.has(id)) continue;
            this.markerIds.add(id);
            const marker = L.circleMarker([markers[k + 1], markers[k + 2]], { radius: 6, color: "#1f4fbf", weight: 1, fillOpacity: 0.8, pmIgnore: true, className: "post-marker" });
            marker.postId = id;
            layers.push(marker);
        }
        this.markers.addLayers(layers);
        this.map.getContainer().dataset.markers = String(this.markerIds.size);
    }

    // Frames what is shown the first time there is something; later changes keep the operator's view.
    fit() {
        if (this.fitted) return;
        const bounds = this.L.latLngBounds([]);
        for (const group of [this.areas, this.drawing, this.markers]) {
            const b = group.getBounds();
            if (b.isValid()) bounds.extend(b);
        }
        if (bounds.isValid()) {
            this.map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 });
            this.fitted = true;
        }
    }

    dispose() {
        this.map.remove();
    }
}

export async function create(element, dotnet, options) {
    await loadLeaflet();
    if (maps.has(element)) return;
    maps.set(element, new CrisisMap(element, dotnet, options));
}

export function setEditable(element, editable) { maps.get(element)?.setEditable(editable); }
export function setAreas(element, areas) { maps.get(element)?.setAreas(areas); }
export function setDrawing(element, shapes) { maps.get(element)?.setDrawing(shapes); }
export function setMarkers(element, markers) { maps.get(element)?.setMarkers(markers); }
export function addMarkers(element, markers) { maps.get(element)?.addMarkers(markers); }

export function dispose(element) {
    maps.get(element)?.dispose();
    maps.delete(element);
}
