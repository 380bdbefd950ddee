// The map's first draw without the browser: the posts' data path of MapView.razor.js (take the 10,000 posts, make
// supercluster's features, index the zoom shown), cold in a fresh Node process per run (as on a page's first draw:
// nothing compiled yet), timed as the process's CPU time, so that the machine's other load does not count (in the
// bench's traces on a loaded 2-core VM, the page's long tasks were two thirds waiting for a core).
// Variants: "main" as main had it (a set of the ids and a LatLng per post for the bounds, four objects per feature);
// "take" with the posts taken without either; "now" also with the features as PostFeature (MapView.razor.js).
// Leaflet's part (the map, the markers) is left out; LatLngBounds.extend's work per post is written out as the same
// work (a LatLng and four comparisons).
// Usage: node bench/CrisisDesk.Bench.Map/first-draw-data.cjs [runs, default 15] [posts, default 10000]
const { execFileSync } = require("node:child_process");
const path = require("node:path");

const supercluster = path.join(__dirname, "../../src/CrisisDesk.Web/wwwroot/lib/supercluster/supercluster.min.js");

class PostFeature {
    constructor(held, i) { this.held = held; this.i = i; }
    get type() { return "Feature"; }
    get properties() { return { id: this.held.ids[this.i] }; }
    get geometry() { return { type: "Point", coordinates: [this.held.lons[this.i], this.held.lats[this.i]] }; }
}

function takeAsMain(markers, ids, lats, lons) {
    const known = new Set();
    const bounds = { south: Infinity, west: Infinity, north: -Infinity, east: -Infinity };
    const extend = latlng => {
        const p = { lat: latlng[0], lng: latlng[1] };
        bounds.south = Math.min(bounds.south, p.lat); bounds.north = Math.max(bounds.north, p.lat);
        bounds.west = Math.min(bounds.west, p.lng); bounds.east = Math.max(bounds.east, p.lng);
    };
    for (let k = 0; k + 2 < markers.length; k += 3) {
        const id = markers[k];
        if (known.has(id)) continue;
        known.add(id);
        ids.push(id);
        lats.push(markers[k + 1]);
        lons.push(markers[k + 2]);
        extend([markers[k + 1], markers[k + 2]]);
    }
    return bounds;
}

function takeNow(markers, ids, lats, lons) {
    let south = Infinity, west = Infinity, north = -Infinity, east = -Infinity;
    for (let k = 0; k + 2 < markers.length; k += 3) {
        const lat = markers[k + 1], lon = markers[k + 2];
        ids.push(markers[k]);
        lats.push(lat);
        lons.push(lon);
        if (lat < south) south = lat;
        if (lat > north) north = lat;
        if (lon < west) west = lon;
        if (lon > east) east = lon;
    }
    return { south, west, north, east };
}

function firstDraw(variant, posts) {
    const Supercluster = require(supercluster);
    // The points as the page fetches them: id, latitude, longitude (float64), spread as the bench spreads its posts.
    let seed = 14;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const markers = new Float64Array(posts * 3);
    for (let i = 0; i < posts; i++) markers.set([1000 + i, 42 + random() * 12, -5 + random() * 20], i * 3);

    const started = process.cpuUsage();
    const ids = [], lats = [], lons = [];
    (variant === "main" ? takeAsMain : takeNow)(markers, ids, lats, lons);
    const features = new Array(ids.length);
    if (variant === "now") {
        const held = { ids, lats, lons };
        for (let i = 0; i < ids.length; i++) features[i] = new PostFeature(held, i);
    } else {
        for (let i = 0; i < ids.length; i++) {
            features[i] = { type: "Feature", properties: { id: ids[i] }, geometry: { type: "Point", coordinates: [lons[i], lats[i]] } };
        }
    }
    const taken = process.cpuUsage(started);
    const index = new Supercluster({ radius: 60, extent: 256, minZoom: 5, maxZoom: 5 }).load(features);
    const clusters = index.getClusters([-10, 40, 20, 56], 5).length;
    const total = process.cpuUsage(started);
    const ms = u => (u.user + u.system) / 1000;
    return { take: ms(taken), total: ms(total), clusters };
}

if (process.argv[2] === "--one") {
    console.log(JSON.stringify(firstDraw(process.argv[3], Number(process.argv[4]))));
} else {
    const runs = Number(process.argv[2] || 15);
    const posts = Number(process.argv[3] || 10000);
    const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const results = { main: [], take: [], now: [] };
    // Alternated, so that a change in the machine's load falls on every variant.
    for (let r = 0; r < runs; r++) {
        for (const variant of Object.keys(results)) {
            results[variant].push(JSON.parse(execFileSync(process.execPath, [__filename, "--one", variant, String(posts)]).toString()));
        }
    }
    for (const [variant, list] of Object.entries(results)) {
        const totals = list.map(x => x.total);
        console.log(`${variant}: ${posts} posts, ${runs} cold runs: taken and features made, median ${median(list.map(x => x.take)).toFixed(1)} ms CPU; ` +
            `with the index of the zoom shown, median ${median(totals).toFixed(1)} ms CPU (${Math.min(...totals).toFixed(1)}–${Math.max(...totals).toFixed(1)}); ${list[0].clusters} clusters`);
    }
}
