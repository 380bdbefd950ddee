// Where the page's main thread spent the time between navigation start and the posts first drawn, from a Chromium trace
// (Playwright's Browser.StartTracingAsync with the devtools timeline and V8's sampling profiler categories):
// - what the renderer did, by kind (the timeline's events: HTML parsed, scripts evaluated, functions called, style and
//   layout, paint, GC), as self time, i.e. each event's time less that of the events inside it;
// - which JavaScript ran, as self time by function and by script (the CPU profile's samples);
// - each long task (over 50 ms) of that window with what filled it, and how much of it the thread actually ran (the
//   trace's thread time): on a loaded machine a task's length is partly waiting for a core.
// The trace's events and the profile's samples share one clock (microseconds); navigation start is the trace's
// navigationStart mark of the war room's document, so the window is the same one the page's performance.now() measures.
using System.Text.Json;

static class TraceSummary
{
    // The trace event categories this summary needs.
    public static readonly string[] Categories =
    [
        "devtools.timeline", "disabled-by-default-devtools.timeline", "disabled-by-default-devtools.timeline.frame",
        "toplevel", "v8", "v8.execute", "blink.user_timing", "loading", "disabled-by-default-v8.cpu_profiler",
        "disabled-by-default-v8.gc",
    ];

    // Kind: the event's name (RunTask: one task of the main thread's scheduler); Detail: its script, function or event.
    // Cpu: the thread's own running time within the span (the trace's tdur), when the trace has it; the rest of the
    // span the thread waited for a core.
    sealed record Span(double Start, double End, string Kind, string Detail, double Cpu = double.NaN)
    {
        public double Self { get; set; }
        public double Duration => End - Start;
    }

    sealed record Sample(double At, double Duration, string Function, string Script);

    // drawnAtMs: the page's drawnAt (ms after navigation start); documentPath: part of the war room's address, to find
    // its renderer and its navigation start among the browser's other pages.
    public static void Print(JsonElement trace, double drawnAtMs, string documentPath, TextWriter output)
    {
        var events = trace.ValueKind == JsonValueKind.Array ? trace : trace.GetProperty("traceEvents");
        var list = events.EnumerateArray().ToList();
        // The war room's navigationStart: its renderer's process and the window's start.
        var navigation = list.LastOrDefault(e => Name(e) == "navigationStart"
            && e.TryGetProperty("args", out var a) && a.TryGetProperty("data", out var d)
            && d.TryGetProperty("documentLoaderURL", out var url) && (url.GetString() ?? "").Contains(documentPath, StringComparison.Ordinal));
        if (navigation.ValueKind == JsonValueKind.Undefined)
        {
            output.WriteLine($"profile: no navigationStart for {documentPath} in the trace; nothing to summarise");
            return;
        }
        var pid = navigation.GetProperty("pid").GetInt32();
        var tid = navigation.GetProperty("tid").GetInt32();
        var start = navigation.GetProperty("ts").GetDouble();
        var end = start + drawnAtMs * 1000;
        var thread = list.Where(e => Pid(e) == pid && Tid(e) == tid).ToList();
        var spans = Spans(thread);
        Nest(spans);

        output.WriteLine($"profile: the renderer's main thread (pid {pid}, tid {tid}) from navigation start to the posts first drawn ({drawnAtMs:N0} ms)");
        output.WriteLine("  " + DrawingTask(trace, drawnAtMs, documentPath));
        var tasks = spans.Where(s => s.Kind == "RunTask" && s.Start < end && s.End > start).ToList();
        var busy = tasks.Sum(s => Overlap(s, start, end));
        var running = tasks.Where(s => !double.IsNaN(s.Cpu)).Sum(s => s.Cpu * Overlap(s, start, end) / s.Duration);
        output.WriteLine($"  in tasks: {busy / 1000:N0} ms of {drawnAtMs:N0} ms, of which the thread ran {running / 1000:N0} ms (the rest it waited for a core)");
        output.WriteLine("  self time by kind (timeline events; RunTask = a task's time in no finer event):");
        foreach (var group in spans.GroupBy(s => s.Kind).Select(g => (Kind: g.Key, Ms: g.Sum(s => SelfIn(s, start, end)) / 1000))
                     .Where(g => g.Ms >= 1).OrderByDescending(g => g.Ms).Take(15))
            output.WriteLine($"    {group.Ms,7:N1} ms  {group.Kind}");
        output.WriteLine("  self time by kind and script (scripts evaluated, functions called, compiled):");
        foreach (var group in spans.Where(s => s.Detail.Length > 0)
                     .GroupBy(s => $"{s.Kind} {s.Detail}").Select(g => (What: g.Key, Ms: g.Sum(s => SelfIn(s, start, end)) / 1000))
                     .Where(g => g.Ms >= 2).OrderByDescending(g => g.Ms).Take(15))
            output.WriteLine($"    {group.Ms,7:N1} ms  {group.What}");

        var samples = Samples(list, pid);
        var inWindow = samples.Where(s => s.At >= start && s.At < end).ToList();
        output.WriteLine($"  CPU profile: {inWindow.Count:N0} samples in the window ({samples.Count:N0} in the trace)");
        output.WriteLine("  top 25 functions by self time:");
        foreach (var f in inWindow.GroupBy(s => (s.Function, s.Script)).Select(g => (g.Key.Function, g.Key.Script, Ms: g.Sum(s => s.Duration) / 1000))
                     .OrderByDescending(f => f.Ms).Take(25))
            output.WriteLine($"    {f.Ms,7:N1} ms  {f.Function}  {f.Script}");
        output.WriteLine("  self time by script:");
        foreach (var s in inWindow.GroupBy(s => s.Script).Select(g => (Script: g.Key, Ms: g.Sum(s => s.Duration) / 1000))
                     .Where(s => s.Ms >= 0.5).OrderByDescending(s => s.Ms))
            output.WriteLine($"    {s.Ms,7:N1} ms  {s.Script}");

        output.WriteLine("  long tasks (over 50 ms) up to the posts drawn, ms after navigation start: what filled them");
        foreach (var task in spans.Where(s => s.Kind == "RunTask" && s.Duration >= 50_000 && s.Start < end).OrderBy(s => s.Start))
        {
            var inside = spans.Where(s => s.Start >= task.Start && s.End <= task.End && s != task)
                .GroupBy(s => s.Detail.Length > 0 ? $"{s.Kind} {s.Detail}" : s.Kind)
                .Select(g => (What: g.Key, Ms: g.Sum(s => s.Self) / 1000)).Where(g => g.Ms >= 3).OrderByDescending(g => g.Ms).Take(5);
            var js = samples.Where(s => s.At >= task.Start && s.At < task.End && s.Function != "(idle)")
                .GroupBy(s => (s.Function, s.Script)).Select(g => (g.Key.Function, g.Key.Script, Ms: g.Sum(s => s.Duration) / 1000))
                .Where(f => f.Ms >= 3).OrderByDescending(f => f.Ms).Take(4);
            output.WriteLine($"    {(task.Start - start) / 1000,6:N0} + {task.Duration / 1000,4:N0} ms (ran {task.Cpu / 1000,3:N0} ms): " +
                string.Join("; ", inside.Select(g => $"{g.What} {g.Ms:N0}")) +
                " | js: " + string.Join("; ", js.Select(f => $"{f.Function} ({Short(f.Script)}) {f.Ms:N0}")));
        }
    }

    // The main thread's task in which the posts were first drawn (the one holding drawnAt): its length and how much of
    // it the thread ran.
    public static string DrawingTask(JsonElement trace, double drawnAtMs, string documentPath)
    {
        var list = (trace.ValueKind == JsonValueKind.Array ? trace : trace.GetProperty("traceEvents")).EnumerateArray().ToList();
        var navigation = list.LastOrDefault(e => Name(e) == "navigationStart"
            && e.TryGetProperty("args", out var a) && a.TryGetProperty("data", out var d)
            && d.TryGetProperty("documentLoaderURL", out var url) && (url.GetString() ?? "").Contains(documentPath, StringComparison.Ordinal));
        if (navigation.ValueKind == JsonValueKind.Undefined) return "the drawing task: no navigationStart in the trace";
        var (pid, tid) = (Pid(navigation), Tid(navigation));
        var drawn = navigation.GetProperty("ts").GetDouble() + drawnAtMs * 1000;
        var task = Spans(list.Where(e => Pid(e) == pid && Tid(e) == tid).ToList())
            .Where(s => s.Kind == "RunTask" && s.Start <= drawn && s.End >= drawn - 1000).OrderByDescending(s => s.Duration).FirstOrDefault();
        return task is null ? "the drawing task: not found"
            : $"the task that drew the posts: {task.Duration / 1000:N0} ms, of which the thread ran {task.Cpu / 1000:N0} ms (posts drawn at {drawnAtMs:N0} ms)";
    }

    static string? Name(JsonElement e) => e.TryGetProperty("name", out var n) ? n.GetString() : null;
    static int Pid(JsonElement e) => e.TryGetProperty("pid", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : -1;
    static int Tid(JsonElement e) => e.TryGetProperty("tid", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetInt32() : -1;
    static string Short(string url) => url.Length == 0 ? "(native)" : url[(url.LastIndexOf('/') + 1)..];

    // The thread's complete events ("X") and begin/end pairs ("B"/"E") as spans with what they were about.
    static List<Span> Spans(List<JsonElement> thread)
    {
        var spans = new List<Span>();
        var open = new Stack<(double Start, string Kind, string Detail)>();
        foreach (var e in thread.OrderBy(e => e.TryGetProperty("ts", out var ts) ? ts.GetDouble() : 0))
        {
            var phase = e.TryGetProperty("ph", out var ph) ? ph.GetString() : null;
            var name = Name(e) ?? "";
            if (phase == "X" && e.TryGetProperty("dur", out var dur))
            {
                var at = e.GetProperty("ts").GetDouble();
                var cpu = e.TryGetProperty("tdur", out var tdur) ? tdur.GetDouble() : double.NaN;
                spans.Add(new Span(at, at + dur.GetDouble(), name, Detail(name, e), cpu));
            }
            else if (phase == "B")
                open.Push((e.GetProperty("ts").GetDouble(), name, Detail(name, e)));
            else if (phase == "E" && open.Count > 0)
            {
                var (at, kind, detail) = open.Pop();
                spans.Add(new Span(at, e.GetProperty("ts").GetDouble(), kind, detail));
            }
        }
        return spans;
    }

    static string Detail(string name, JsonElement e)
    {
        if (!e.TryGetProperty("args", out var args) || args.ValueKind != JsonValueKind.Object) return "";
        if (name == "v8.run")
            return Short(args.TryGetProperty("fileName", out var file) ? file.GetString() ?? "" : "");
        var data = args.TryGetProperty("data", out var d) ? d : args.TryGetProperty("beginData", out var b) ? b : default;
        if (data.ValueKind != JsonValueKind.Object) return "";
        string Text(string property) => data.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
        return name switch
        {
            "EvaluateScript" or "v8.compile" or "v8.compileModule" or "v8.evaluateModule" or "ParseHTML" => Short(Text("url")),
            "ParseAuthorStyleSheet" => Short(Text("styleSheetUrl")),
            "FunctionCall" => $"{Text("functionName")} ({Short(Text("url"))})",
            "EventDispatch" => Text("type"),
            _ => "",
        };
    }

    // Each span's self time: its duration less its children's (spans are properly nested on one thread).
    static void Nest(List<Span> spans)
    {
        var ordered = spans.OrderBy(s => s.Start).ThenByDescending(s => s.End).ToList();
        var stack = new Stack<Span>();
        foreach (var span in ordered)
        {
            span.Self = span.Duration;
            while (stack.Count > 0 && stack.Peek().End <= span.Start) stack.Pop();
            if (stack.Count > 0 && span.End <= stack.Peek().End) stack.Peek().Self -= span.Duration;
            stack.Push(span);
        }
    }

    static double Overlap(Span s, double start, double end) => Math.Max(0, Math.Min(s.End, end) - Math.Max(s.Start, start));

    // A span's self time counted in the window, in proportion to how much of it lies there.
    static double SelfIn(Span s, double start, double end) => s.Duration <= 0 ? 0 : s.Self * Overlap(s, start, end) / s.Duration;

    // The V8 sampling profiler's samples in the renderer's process: each sample's time is the time to the next one.
    static List<Sample> Samples(List<JsonElement> events, int pid)
    {
        var frames = new Dictionary<(string Id, long Node), (string Function, string Script)>();
        var times = new Dictionary<string, double>();
        var raw = new List<(string Id, double At, long Node)>();
        foreach (var e in events.Where(e => Pid(e) == pid))
        {
            var name = Name(e);
            if (name is not ("Profile" or "ProfileChunk") || !e.TryGetProperty("id", out var idElement)) continue;
            var id = idElement.ToString();
            var data = e.GetProperty("args").GetProperty("data");
            if (name == "Profile")
            {
                times[id] = data.GetProperty("startTime").GetDouble();
                continue;
            }
            if (!data.TryGetProperty("cpuProfile", out var profile)) continue;
            if (profile.TryGetProperty("nodes", out var nodes))
            {
                foreach (var node in nodes.EnumerateArray())
                {
                    var frame = node.GetProperty("callFrame");
                    var function = frame.TryGetProperty("functionName", out var f) ? f.GetString() ?? "" : "";
                    var url = frame.TryGetProperty("url", out var u) ? u.GetString() ?? "" : "";
                    var line = frame.TryGetProperty("lineNumber", out var l) ? l.GetInt32() : -1;
                    var described = function.Length > 0 ? function : "(anonymous)";
                    frames[(id, node.GetProperty("id").GetInt64())] = (url.Length > 0 && line >= 0 ? $"{described}:{line + 1}" : described, ShortUrl(url));
                }
            }
            if (!profile.TryGetProperty("samples", out var ids) || !data.TryGetProperty("timeDeltas", out var deltas)) continue;
            var at = times.GetValueOrDefault(id);
            var deltaList = deltas.EnumerateArray().Select(d => d.GetDouble()).ToList();
            var k = 0;
            foreach (var sample in ids.EnumerateArray())
            {
                at += k < deltaList.Count ? deltaList[k] : 0;
                raw.Add((id, at, sample.GetInt64()));
                k++;
            }
            times[id] = at;
        }
        var samples = new List<Sample>();
        foreach (var profile in raw.GroupBy(r => r.Id))
        {
            var ordered = profile.OrderBy(r => r.At).ToList();
            for (var i = 0; i + 1 < ordered.Count; i++)
            {
                var (function, script) = frames.GetValueOrDefault((profile.Key, ordered[i].Node), ("(unknown)", ""));
                samples.Add(new Sample(ordered[i].At, ordered[i + 1].At - ordered[i].At, function, script));
            }
        }
        return samples;
    }

    // A script's address without the server's origin and the fingerprint query; "(native)" for V8's own nodes.
    static string ShortUrl(string url)
    {
        if (url.Length == 0) return "(native)";
        var path = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : url;
        return path.Length > 60 ? "…" + path[^59..] : path;
    }
}
