// The browser side of MapView: Leaflet 1.9 with leaflet-geoman (drawing) and supercluster (clustering posts), all
// vendored under wwwroot/lib. Leaflet and its plugins are UMD files that expect a global L; this module loads them itself,
// once, when the first map opens, so no page carries them in a <script> tag.
//
// A read-only map whose page was prerendered with its points' address (MapView's EarlyPointsUrl: the war room's) is
// drawn before the page's circuit is up: app.js calls drawEarly for it as the page loads. Blazor then replaces the
// prerendered markup whole, map element included; the Leaflet map lives in a child element of it, which is moved into
// the replacement as soon as that is in the page (a MutationObserver's callback runs before the next paint, so the map
// never leaves the screen), and the component's create() adopts it instead of making another.
const lib = "lib/";
// The map element (.map-canvas) → its CrisisMap.
const maps = new WeakMap();
// Maps drawn early whose element has not been replaced yet, by their data-map-key.
const early = new Map();
let adoption = null;
let loading = null;
let loadingGeoman = null;

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
        loadStyle(lib + "leaflet/leaflet.css");
        loading = (window.L ? Promise.resolve() : loadScript(lib + "leaflet/leaflet.js"))
            .then(() => Promise.all([
                window.Supercluster ? null : loadScript(lib + "supercluster/supercluster.min.js"),
                window.topojson ? null : loadScript(lib + "topojson-client/topojson-client.min.js"),
            ]));
        loading.catch(() => { loading = null; });
    }
    return loading;
}

// geoman (drawing; at 290 kB the largest of these files) is loaded for maps that draw: the war room's map, which only
// shows, does not wait for it.
function loadGeoman() {
    if (!loadingGeoman) {
        loadStyle(lib + "leaflet-geoman/leaflet-geoman.css");
        loadingGeoman = loadLeaflet().then(() => window.L.PM ? null : loadScript(lib + "leaflet-geoman/leaflet-geoman.min.js"));
        loadingGeoman.catch(() => { loadingGeoman = null; });
    }
    return loadingGeoman;
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

// The posts on the map. The map holds DOM markers only for the clusters and single posts in and around the view,
// re-read after each pan or zoom from a supercluster index of that zoom alone: built when the zoom is first shown
// (one clustering pass over the posts) and the zooms beside it built while the browser is idle. supercluster's usual
// index of every zoom at once costs a pass per zoom (17 for ten thousand posts: most of a second here), paid before
// anything is drawn. Clustering bounds what is drawn (a cluster swallows its neighbours within 60 px), so a view holds
// at most a few hundred markers whatever the number of posts: leaflet.markercluster, which made a Leaflet layer per
// post, spent seconds on ten thousand and dropped frames while zooming.
const ClusterRadius = 60;
// Past 16 (a street) the posts still together are at one spot (a city's place): they are spread out on click
// (spiderfied) instead of being split by zooming further.
const ClusterMaxZoom = 16;
const SpiderLimit = 100;

// Leaflet makes a marker focusable (a button) but leaves Enter to popups: Enter and Space act as its click here.
// action(byKeyboard): whether it was a key, so that what replaces the marker can take the focus.
function pressable(marker, action) {
    marker.on("click", () => action(false));
    marker.getElement().addEventListener("keydown", e => {
        if (e.key !== "Enter" && e.key !== " ") return;
        e.preventDefault();
        e.stopPropagation();
        action(true);
    });
}

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
        // zoom → supercluster index of that zoom; all dropped when posts are added (a new generation).
        this.indexes = new Map();
        this.generation = 0;
        this.features = null;
        this.renderTimer = 0;
        // Key (a cluster's generation, zoom and id, or "p" + a post's id) → the marker shown for it.
        this.shown = new Map();
        this.layer = this.L.layerGroup().addTo(this.map);
        this.spider = this.L.layerGroup().addTo(this.map);
        this.map.on("moveend", () => this.render());
        this.map.on("zoomstart", () => this.spider.clearLayers());
        this.map.on("click", () => this.spider.clearLayers());
    }

    // Replaces every post; the caller renders (after framing the map, so that only the zoom shown is indexed).
    set(markers) {
        if (this.holds(markers)) return false;
        this.ids = [];
        this.lats = [];
        this.lons = [];
        this.known.clear();
        this.bounds = this.L.latLngBounds([]);
        this.spider.clearLayers();
        this.take(markers);
        return true;
    }

    // Whether these are exactly the posts held, in the same order.
    holds(markers) {
        if (markers.length !== this.ids.length * 3 || !this.ids.length) return false;
        for (let i = 0, k = 0; i < this.ids.length; i++, k += 3) {
            if (markers[k] !== this.ids[i] || markers[k + 1] !== this.lats[i] || markers[k + 2] !== this.lons[i]) return false;
        }
        return true;
    }

    // Live additions come a few a second during a busy incident: one re-index for those that arrive together.
    add(markers) {
        if (!this.take(markers)) return;
        clearTimeout(this.renderTimer);
        this.renderTimer = setTimeout(() => this.render(), 250);
    }

    // markers: a flat array of id, latitude, longitude for each post. Returns how many were new.
    take(markers) {
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
        this.owner.element.dataset.markers = String(this.ids.length);
        if (added) {
            this.indexes.clear();
            this.features = null;
            this.generation++;
        }
        return added;
    }

    indexAt(zoom) {
        let index = this.indexes.get(zoom);
        if (index) return index;
        const started = performance.now();
        if (!this.features) {
            this.features = new Array(this.ids.length);
            for (let i = 0; i < this.ids.length; i++) {
                this.features[i] = { type: "Feature", properties: { id: this.ids[i] }, geometry: { type: "Point", coordinates: [this.lons[i], this.lats[i]] } };
            }
        }
        // extent 256: Leaflet's tile size, so that the radius is in screen pixels (supercluster's default is 512).
        index = new window.Supercluster({ radius: ClusterRadius, extent: 256, minZoom: zoom, maxZoom: zoom }).load(this.features);
        this.indexes.set(zoom, index);
        // How long the last index took (ms): what the map bench reports beside the first render.
        this.owner.element.dataset.indexedIn = String(Math.round(performance.now() - started));
        return index;
    }

    // The zooms a wheel step or a cluster's click goes to next, indexed while the browser has nothing else to do.
    prepare(zoom) {
        const generation = this.generation;
        const idle = window.requestIdleCallback || (f => setTimeout(f, 50));
        for (const next of [zoom + 1, zoom - 1]) {
            if (next < 0 || next > ClusterMaxZoom) continue;
            idle(() => { if (generation === this.generation) this.indexAt(next); });
        }
    }

    render() {
        this.renderTimer = 0;
        if (!this.ids.length && !this.shown.size) return;
        // Past the last clustered zoom, its clusters are kept (see ClusterMaxZoom).
        const zoom = Math.min(Math.round(this.map.getZoom()), ClusterMaxZoom);
        const index = this.indexAt(zoom);
        // A margin around the view so that a short pan shows markers already there.
        const b = this.map.getBounds().pad(0.3);
        const west = b.getWest(), east = b.getEast();
        const box = east - west >= 360 ? [-180, Math.max(b.getSouth(), -90), 180, Math.min(b.getNorth(), 90)]
            : [west, Math.max(b.getSouth(), -90), east, Math.min(b.getNorth(), 90)];
        const wanted = new Map();
        for (const feature of index.getClusters(box, zoom)) {
            const p = feature.properties;
            // A cluster's id is its index's own: a new index (another zoom, new posts) means new cluster markers.
            wanted.set(p.cluster ? `c${this.generation}:${zoom}:${p.cluster_id}` : `p${p.id}`, feature);
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
            const marker = p.cluster ? this.clusterMarker(lat, lon, p, index, zoom) : this.postMarker(lat, lon, p.id, this.layer);
            this.shown.set(key, marker);
        }
        if (this.focusNear) this.focusNearest();
        // When posts were first drawn (ms after navigation start): the map bench's first render.
        this.owner.element.dataset.drawnAt ??= String(Math.round(performance.now()));
        this.prepare(zoom);
    }

    clusterMarker(lat, lon, p, index, zoom) {
        const L = this.L;
        const size = p.point_count < 10 ? "small" : p.point_count < 100 ? "medium" : "large";
        const diameter = size === "small" ? 30 : size === "medium" ? 36 : 44;
        const marker = L.marker([lat, lon], {
            icon: L.divIcon({ className: `post-cluster post-cluster-${size}`, html: `<span>${p.point_count_abbreviated}</span>`, iconSize: [diameter, diameter] }),
            pmIgnore: true, snapIgnore: true, riseOnHover: true,
        });
        marker.addTo(this.layer);
        pressable(marker, byKeyboard => this.open(marker, index.getLeaves(p.cluster_id, Infinity), zoom, byKeyboard));
        marker.getElement().setAttribute("aria-label", `${p.point_count} posts here: press Enter to zoom in`);
        return marker;
    }

    postMarker(lat, lon, id, group) {
        const L = this.L;
        const marker = L.marker([lat, lon], {
            icon: L.divIcon({ className: "post-marker", iconSize: [12, 12] }),
            pmIgnore: true, snapIgnore: true,
        });
        // A post's label is asked for the first time the pointer or the keyboard rests on it (labels are not sent with
        // the markers: ten thousand of them would be megabytes).
        const label = () => {
            if (marker.getTooltip()) return;
            marker.bindTooltip("…").openTooltip();
            this.owner.call("MarkerLabel", id).then(text => {
                const shown = text || "A post";
                marker.setTooltipContent(shown);
                marker.getElement()?.setAttribute("aria-label", `${shown}: press Enter to open it`);
            });
        };
        marker.on("mouseover", label);
        marker.addTo(group);
        pressable(marker, () => this.owner.call("MarkerClick", id));
        const element = marker.getElement();
        element.setAttribute("aria-label", "A post: press Enter to open it");
        element.addEventListener("focus", label);
        return marker;
    }

    // A cluster's click: zoom to its posts; when they are at one spot (or the map is at the last clustered zoom),
    // spread them around it. From the keyboard, the focus goes on to what is drawn in the cluster's place (the cluster
    // itself is removed, which would drop the focus to the page).
    open(marker, leaves, zoom, byKeyboard) {
        const bounds = this.L.latLngBounds(leaves.map(leaf => [leaf.geometry.coordinates[1], leaf.geometry.coordinates[0]]));
        if (zoom < ClusterMaxZoom && this.map.getBoundsZoom(bounds, false, this.L.point(40, 40)) > zoom) {
            if (byKeyboard) this.focusNear = bounds.getCenter();
            this.map.fitBounds(bounds, { padding: [20, 20], maxZoom: ClusterMaxZoom });
            return;
        }
        this.spider.clearLayers();
        const centre = this.map.latLngToLayerPoint(marker.getLatLng());
        leaves.slice(0, SpiderLimit).forEach((leaf, i) => {
            // A spiral: each post a little further out than the last, about 16 px apart.
            const angle = i * 0.9 + 0.5;
            const radius = 22 + i * 2.2;
            const at = this.map.layerPointToLatLng(centre.add(this.L.point(Math.cos(angle) * radius, Math.sin(angle) * radius)));
            this.L.polyline([marker.getLatLng(), at], { weight: 1.5, color: "#222", opacity: 0.5, interactive: false, pmIgnore: true }).addTo(this.spider);
            const spread = this.postMarker(at.lat, at.lng, leaf.properties.id, this.spider);
            if (byKeyboard && i === 0) spread.getElement().focus();
        });
    }

    // After a cluster opened from the keyboard: the focus on the marker now nearest its posts' centre.
    focusNearest() {
        const near = this.focusNear;
        this.focusNear = null;
        const at = this.map.latLngToLayerPoint(near);
        let best = null;
        let bestDistance = Infinity;
        for (const marker of this.shown.values()) {
            const distance = this.map.latLngToLayerPoint(marker.getLatLng()).distanceTo(at);
            if (distance < bestDistance) {
                best = marker;
                bestDistance = distance;
            }
        }
        (best?.getElement() ?? this.map.getContainer()).focus();
    }
}

class CrisisMap {
    // dotnet: the component, or null for a map drawn early (calls wait for attach()).
    constructor(element, dotnet, options) {
        const L = window.L;
        this.L = L;
        this.element = element;
        this.dotnet = dotnet;
        this.waiting = [];
        this.options = options;
        // Leaflet's container is a child of the component's element, so that it can move to the element that replaces
        // a prerendered one.
        const container = document.createElement("div");
        container.className = "map-leaflet";
        container.style.cssText = "width:100%;height:100%;border-radius:inherit";
        element.appendChild(container);
        this.map = L.map(container, { worldCopyJump: true, minZoom: 1, maxZoom: options.maxZoom || 19 }).setView([20, 0], 2);
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
                this.call("ViewMoved", { south: b.getSouth(), west: b.getWest(), north: b.getNorth(), east: b.getEast() });
            };
            this.map.on("moveend", report);
            this.map.whenReady(report);
        }
        this.loadBasemap(options.basemapUrl);
        this.addTiles(options);
        this.setEditable(options.editable);
    }

    // Calls the component; a map drawn early keeps its calls (a click, the view it settled on) until attach(). Of the
    // views reported meanwhile only the last counts.
    call(method, ...args) {
        if (this.dotnet) return this.dotnet.invokeMethodAsync(method, ...args);
        if (method === "ViewMoved") this.waiting = this.waiting.filter(w => w.method !== method);
        return new Promise((resolve, reject) => this.waiting.push({ method, args, resolve, reject }));
    }

    attach(dotnet) {
        this.dotnet = dotnet;
        const waiting = this.waiting;
        this.waiting = [];
        for (const w of waiting) dotnet.invokeMethodAsync(w.method, ...w.args).then(w.resolve, w.reject);
    }

    // Moves the map into the element that replaced its own (see drawEarly), with what the element said of it.
    moveTo(element) {
        for (const [name, value] of Object.entries(this.element.dataset)) {
            if (name !== "early" && name !== "earlyPoints" && !(name in element.dataset)) element.dataset[name] = value;
        }
        element.appendChild(this.map.getContainer());
        this.element = element;
        maps.set(element, this);
        this.map.invalidateSize({ pan: false });
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
            this.element.dataset.basemap = "loaded";
        } catch (e) {
            this.element.dataset.basemap = "failed";
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
                this.call("TilesAvailable");
            }
            this.element.dataset.tiles = "on";
        });
        tiles.on("tileerror", () => {
            failed++;
            // Some tiles failing is the network's weather; none loading at all means the tiles are off.
            if (loaded === 0 && !this.tilesOff) {
                this.tilesOff = true;
                this.element.dataset.tiles = "off";
                this.call("TilesUnavailable", "the tile server cannot be reached");
            }
        });
        tiles.addTo(this.map);
    }

    async setEditable(editable) {
        const map = this.map;
        if (editable && !map.pm) {
            // Made to show, now to draw: geoman was not loaded when this map was made.
            await loadGeoman();
            this.L.PM.reInitLayer(map);
            this.L.PM.reInitLayer(this.drawing);
        }
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
                const changed = () => this.call("ShapesDrawn", drawingOf(this.drawing))
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

    // fromPage: the points fetched for an early draw, which never replace those the component has sent.
    setMarkers(markers, fromPage = false) {
        if (fromPage && this.markersFromComponent) return;
        if (!fromPage) this.markersFromComponent = true;
        // When the markers arrived (ms after navigation start): what the map bench reads.
        this.element.dataset.markersSentAt ??= String(Math.round(performance.now()));
        if (!this.posts.set(markers)) return;
        this.fit();
        this.posts.render();
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
            // Not animated: the first view is drawn (and its posts clustered) once, at the zoom it settles on.
            this.map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13, animate: false });
            this.fitted = true;
        }
    }

    dispose() {
        clearTimeout(this.posts.renderTimer);
        this.map.remove();
        this.map.getContainer().remove();
    }
}

// The prerendered page's map (app.js): drawn with its areas (in the markup) and its posts (fetched; the page preloads
// them) while the circuit starts. If the circuit has replaced the element first, the component makes the map as usual.
export async function drawEarly(element) {
    const key = element.dataset.mapKey;
    const { options, areas } = JSON.parse(element.dataset.early);
    const points = fetch(element.dataset.earlyPoints)
        .then(response => response.ok ? response.arrayBuffer() : null)
        .catch(() => null);
    await loadLeaflet();
    if (!element.isConnected || maps.has(element) || early.has(key)) return;
    const map = new CrisisMap(element, null, options);
    maps.set(element, map);
    early.set(key, map);
    watchForReplacement();
    map.setAreas(areas);
    const buffer = await points;
    if (buffer) map.setMarkers(new Float64Array(buffer), true);
}

function watchForReplacement() {
    if (adoption) return;
    adoption = new MutationObserver(() => {
        for (const key of [...early.keys()]) adoptReplacement(key);
    });
    adoption.observe(document.body, { childList: true, subtree: true });
}

// Moves an early map into the element that replaced its own, once that is in the page. Returns the map if it moved.
function adoptReplacement(key) {
    const map = early.get(key);
    if (!map || map.element.isConnected) return null;
    const next = [...document.querySelectorAll(".map-canvas[data-map-key]")].find(e => e.dataset.mapKey === key && !maps.has(e));
    if (!next) return null;
    map.moveTo(next);
    early.delete(key);
    if (!early.size) {
        adoption.disconnect();
        adoption = null;
    }
    return map;
}

export async function create(element, dotnet, options) {
    const drawn = maps.get(element) ?? (element.dataset.mapKey ? adoptReplacement(element.dataset.mapKey) : null);
    if (drawn) {
        drawn.attach(dotnet);
        return;
    }
    await (options.editable ? loadGeoman() : loadLeaflet());
    if (maps.has(element)) return;
    maps.set(element, new CrisisMap(element, dotnet, options));
}

export function setEditable(element, editable) { return maps.get(element)?.setEditable(editable); }
export function setAreas(element, areas) { maps.get(element)?.setAreas(areas); }
export function setDrawing(element, shapes) { maps.get(element)?.setDrawing(shapes); }
export function setMarkers(element, markers) { maps.get(element)?.setMarkers(markers); }
export function addMarkers(element, markers) { maps.get(element)?.addMarkers(markers); }

export function dispose(element) {
    const map = maps.get(element);
    if (!map) return;
    map.dispose();
    maps.delete(element);
    for (const [key, m] of early) if (m === map) early.delete(key);
}
