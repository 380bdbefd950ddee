// The browser side of MapView: Leaflet 1.9 with leaflet-geoman (drawing) and supercluster (clustering posts), all
// vendored under wwwroot/lib. Leaflet and its plugins are UMD files that expect a global L; this module loads them itself,
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
        ["leaflet/leaflet.css", "leaflet-geoman/leaflet-geoman.css"].forEach(css => loadStyle(lib + css));
        loading = (window.L ? Promise.resolve() : loadScript(lib + "leaflet/leaflet.js"))
            .then(() => Promise.all([
                window.L.PM ? null : loadScript(lib + "leaflet-geoman/leaflet-geoman.min.js"),
                window.Supercluster ? null : loadScript(lib + "supercluster/supercluster.min.js"),
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

// The posts on the map. supercluster indexes every post once (tens of milliseconds for ten thousand); the map holds
// DOM markers only for the clusters and single posts in and around the view, re-read from the index after each pan or
// zoom. Clustering bounds what is drawn (a cluster swallows its neighbours within 60 px), so a view holds at most a few
// hundred markers whatever the number of posts: leaflet.markercluster, which made a Leaflet layer per post, spent
// seconds on ten thousand and dropped frames while zooming.
const ClusterRadius = 60;
// Indexed zooms: each costs a pass over the posts, and past 16 (a street) clusters are spread out (spiderfied), not
// split by zooming further.
const ClusterMaxZoom = 16;
const SpiderLimit = 100;

class PostMarkers {
    constructor(owner) {
        this.owner = owner;
        this.L = owner.L;
        this.map = owner.map;
        this.ids = [];
        this.lats = [];
        this.lons = [];
        this.known = new Set();
        this.bounds = this.L.latLngBounds([]);
        this.index = null;
        this.rebuildTimer = 0;
        // Key ("c" + cluster id at a zoom, or "p" + post id) → the marker shown for it.
        this.shown = new Map();
        this.layer = this.L.layerGroup().addTo(this.map);
        this.spider = this.L.layerGroup().addTo(this.map);
        this.map.on("moveend", () => this.render());
        this.map.on("zoomstart", () => this.spider.clearLayers());
        this.map.on("click", () => this.spider.clearLayers());
    }

    set(markers) {
        this.ids = [];
        this.lats = [];
        this.lons = [];
        this.known.clear();
        this.bounds = this.L.latLngBounds([]);
        this.spider.clearLayers();
        this.add(markers, true);
    }

    // markers: a flat array of id, latitude, longitude for each post.
    add(markers, now) {
        let added = 0;
        for (let k = 0; k + 2 < markers.length; k += 3) {
            const id = markers[k];
            if (this.known.has(id)) continue;
            this.known.add(id);
            this.ids.push(id);
            this.lats.push(markers[k + 1]);
            this.lons.push(markers[k + 2]);
            this.bounds.extend([markers[k + 1], markers[k + 2]]);
            added++;
        }
        this.map.getContainer().dataset.markers = String(this.ids.length);
        if (!added && !now) return;
        // Live additions come a few a second during a busy incident: one re-index for those that arrive together.
        clearTimeout(this.rebuildTimer);
        if (now || !this.index) this.rebuild();
        else this.rebuildTimer = setTimeout(() => this.rebuild(), 250);
    }

    rebuild() {
        this.rebuildTimer = 0;
        const started = performance.now();
        const features = new Array(this.ids.length);
        for (let i = 0; i < this.ids.length; i++) {
            features[i] = { type: "Feature", properties: { id: this.ids[i] }, geometry: { type: "Point", coordinates: [this.lons[i], this.lats[i]] } };
        }
        this.index = new window.Supercluster({ radius: ClusterRadius, maxZoom: ClusterMaxZoom }).load(features);
        // How long indexing took (ms): what the map bench reports beside the first render.
        this.map.getContainer().dataset.indexedIn = String(Math.round(performance.now() - started));
        // Cluster ids are the index's own: a new index means new markers for every cluster.
        for (const [key, marker] of this.shown) {
            if (key[0] === "c") {
                this.layer.removeLayer(marker);
                this.shown.delete(key);
            }
        }
        this.render();
    }

    render() {
        if (!this.index) return;
        // Past the last indexed zoom the index gives single posts; the clusters of that zoom are kept instead, so that
        // posts at one spot (a city's place) do not pile up on one pixel.
        const zoom = Math.min(Math.round(this.map.getZoom()), ClusterMaxZoom);
        // A margin around the view so that a short pan shows markers already there.
        const b = this.map.getBounds().pad(0.3);
        const west = b.getWest(), east = b.getEast();
        const box = east - west >= 360 ? [-180, Math.max(b.getSouth(), -90), 180, Math.min(b.getNorth(), 90)]
            : [west, Math.max(b.getSouth(), -90), east, Math.min(b.getNorth(), 90)];
        const wanted = new Map();
        for (const feature of this.index.getClusters(box, zoom)) {
            const p = feature.properties;
            wanted.set(p.cluster ? `c${p.cluster_id}` : `p${p.id}`, feature);
        }
        for (const [key, marker] of this.shown) {
            if (!wanted.has(key)) {
                this.layer.removeLayer(marker);
                this.shown.delete(key);
            }
        }
        for (const [key, feature] of wanted) {
            if (this.shown.has(key)) continue;
            const [lon, lat] = feature.geometry.coordinates;
            const p = feature.properties;
            const marker = p.cluster ? this.clusterMarker(lat, lon, p) : this.postMarker(lat, lon, p.id, this.layer);
            this.shown.set(key, marker);
        }
    }

    clusterMarker(lat, lon, p) {
        const L = this.L;
        const size = p.point_count < 10 ? "small" : p.point_count < 100 ? "medium" : "large";
        const diameter = size === "small" ? 30 : size === "medium" ? 36 : 44;
        const marker = L.marker([lat, lon], {
            icon: L.divIcon({ className: `post-cluster post-cluster-${size}`, html: `<span>${p.point_count_abbreviated}</span>`, iconSize: [diameter, diameter] }),
            pmIgnore: true, snapIgnore: true, riseOnHover: true,
        });
        marker.on("click", () => this.open(marker, p.cluster_id));
        marker.addTo(this.layer);
        marker.getElement().setAttribute("aria-label", `${p.point_count} posts here: press Enter to zoom in`);
        return marker;
    }

    postMarker(lat, lon, id, group) {
        const L = this.L;
        const marker = L.marker([lat, lon], {
            icon: L.divIcon({ className: "post-marker", iconSize: [12, 12] }),
            pmIgnore: true, snapIgnore: true,
        });
        marker.postId = id;
        marker.on("click", () => this.owner.dotnet.invokeMethodAsync("MarkerClick", id));
        // A post's label is asked for the first time the pointer or the keyboard rests on it (labels are not sent with
        // the markers: ten thousand of them would be megabytes).
        const label = () => {
            if (marker.getTooltip()) return;
            marker.bindTooltip("…").openTooltip();
            this.owner.dotnet.invokeMethodAsync("MarkerLabel", id).then(text => {
                const shown = text || "A post";
                marker.setTooltipContent(shown);
                marker.getElement()?.setAttribute("aria-label", `${shown}: press Enter to open it`);
            });
        };
        marker.on("mouseover", label);
        marker.addTo(group);
        const element = marker.getElement();
        element.setAttribute("aria-label", "A post: press Enter to open it");
        element.addEventListener("focus", label);
        return marker;
    }

    // A cluster's click: zoom in until it splits; past the last indexed zoom (posts at one spot), spread its posts
    // around it.
    open(marker, clusterId) {
        const expansion = this.index.getClusterExpansionZoom(clusterId);
        if (expansion <= ClusterMaxZoom && expansion <= this.map.getMaxZoom()) {
            this.map.setView(marker.getLatLng(), expansion);
            return;
        }
        this.spider.clearLayers();
        const centre = this.map.latLngToLayerPoint(marker.getLatLng());
        const leaves = this.index.getLeaves(clusterId, SpiderLimit);
        leaves.forEach((leaf, i) => {
            // A spiral: each post a little further out than the last, about 16 px apart.
            const angle = i * 0.9 + 0.5;
            const radius = 22 + i * 2.2;
            const at = this.map.layerPointToLatLng(centre.add(this.L.point(Math.cos(angle) * radius, Math.sin(angle) * radius)));
            this.L.polyline([marker.getLatLng(), at], { weight: 1.5, color: "#222", opacity: 0.5, interactive: false, pmIgnore: true }).addTo(this.spider);
            this.postMarker(at.lat, at.lng, leaf.properties.id, this.spider);
        });
    }
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
        this.posts = new PostMarkers(this);
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
        this.posts.set(markers);
        this.fit();
    }

    addMarkers(markers) {
        this.posts.add(markers);
    }

    // Frames what is shown the first time there is something; later changes keep the operator's view.
    fit() {
        if (this.fitted) return;
        const bounds = this.L.latLngBounds([]);
        for (const b of [this.areas.getBounds(), this.drawing.getBounds(), this.posts.bounds]) {
            if (b.isValid()) bounds.extend(b);
        }
        if (bounds.isValid()) {
            this.map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 });
            this.fitted = true;
        }
    }

    dispose() {
        clearTimeout(this.posts.rebuildTimer);
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
