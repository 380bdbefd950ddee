using CrisisDesk.Core.Alerts;

namespace CrisisDesk.UnitTests.Alerts;

/// <summary>CAP area text ↔ geometry: every bad input says what is wrong; every valid shape survives the round trip.</summary>
public sealed class CapShapesTests
{
    private static string PolygonProblem(string text)
    {
        Assert.Null(CapShapes.ReadPolygon(text, out var problem));
        return Assert.IsType<string>(problem);
    }

    private static string CircleProblem(string text)
    {
        Assert.Null(CapShapes.ReadCircle(text, out var problem));
        return Assert.IsType<string>(problem);
    }

    [Fact]
    public void A_self_intersecting_polygon_names_the_crossing_edges()
    {
        // A bow tie: the edge 1→2 crosses the edge 3→4.
        var problem = PolygonProblem("50,0 51,1 51,0 50,1 50,0");
        Assert.Contains("crosses itself", problem, StringComparison.Ordinal);
        Assert.Contains("pair 1 to 2", problem, StringComparison.Ordinal);
        Assert.Contains("pair 3 to 4", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_polygon_that_doubles_back_along_an_edge_crosses_itself()
    {
        Assert.Contains("crosses itself", PolygonProblem("50,0 50,2 50,1 51,1 50,0"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_polygon_touching_itself_at_a_vertex_crosses_itself()
    {
        // A figure of eight through 50.5,0.5.
        Assert.Contains("crosses itself", PolygonProblem("50,0 50.5,0.5 51,0 51,1 50.5,0.5 50,1 50,0"), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unclosed_polygon_says_which_pair_to_end_on()
    {
        var problem = PolygonProblem("50,0 51,0 51,1 50,1");
        Assert.Contains("not closed", problem, StringComparison.Ordinal);
        Assert.Contains("(50,0)", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("50,0", 1)]
    [InlineData("50,0 51,0", 2)]
    [InlineData("50,0 51,0 50,0", 3)]
    public void A_ring_with_fewer_than_four_pairs_says_how_many_it_has(string text, int pairs)
    {
        var problem = PolygonProblem(text);
        Assert.Contains($"has {pairs} pair", problem, StringComparison.Ordinal);
        Assert.Contains("at least 4", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90.5,0 51,0 51,1 90.5,0", "pair 1: latitude 90.5")]
    [InlineData("50,0 -91,0 51,1 50,0", "pair 2: latitude -91")]
    public void A_latitude_beyond_90_is_named_with_its_pair(string text, string expected)
    {
        var problem = PolygonProblem(text);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.Contains("beyond ±90", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_circle_centred_beyond_90_is_refused()
    {
        Assert.Contains("centre: latitude 95 is beyond ±90", CircleProblem("95,10 2"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_longitude_beyond_180_is_refused()
    {
        Assert.Contains("longitude 181 is beyond ±180", PolygonProblem("50,181 51,0 51,1 50,181"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_circle_with_a_negative_radius_is_refused()
    {
        Assert.Contains("radius -2.5 km is negative", CircleProblem("51.5,-0.12 -2.5"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_polygon_crossing_the_antimeridian_says_where_and_what_to_do()
    {
        var problem = PolygonProblem("-17,179.5 -17,-179.5 -18,-179.5 -18,179.5 -17,179.5");
        Assert.Contains("crosses the antimeridian", problem, StringComparison.Ordinal);
        Assert.Contains("between pair 1 and pair 2", problem, StringComparison.Ordinal);
        Assert.Contains("two polygons", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_circle_reaching_over_the_antimeridian_is_refused_and_one_short_of_it_is_not()
    {
        Assert.Contains("crosses the antimeridian", CircleProblem("-17,179.9 50"), StringComparison.Ordinal);
        Assert.NotNull(CapShapes.ReadCircle("-17,179 50", out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("50,0 51,0 51,x 50,0", "pair 3 '51,x'")]
    [InlineData("50;0 51,0 51,1 50;0", "pair 1 '50;0'")]
    [InlineData("", "empty")]
    public void Unreadable_polygon_text_names_the_pair(string text, string expected)
    {
        Assert.Contains(expected, PolygonProblem(text), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("51.5,-0.12", "should be 'latitude,longitude radius-in-km'")]
    [InlineData("51.5,-0.12 two", "radius 'two' is not a number")]
    public void Unreadable_circle_text_says_the_form(string text, string expected)
    {
        Assert.Contains(expected, CircleProblem(text), StringComparison.Ordinal);
    }

    [Fact]
    public void The_validator_refuses_a_self_intersecting_polygon_and_an_antimeridian_circle()
    {
        var bowTie = new CapPolygon([new(50m, 0m), new(51m, 1m), new(51m, 0m), new(50m, 1m), new(50m, 0m)]);
        var alert = CapSamples.Simple();
        var area = alert.Infos[0].Areas[0] with { Polygons = [bowTie], Circles = [new CapCircle(new CapPoint(-17m, 179.9m), 50m)] };
        var problems = CapValidator.Validate(alert with { Infos = [alert.Infos[0] with { Areas = [area] }] });

        Assert.Contains(problems, p => p.IsError && p.Path == "info[1].area[1].polygon[1]" && p.Message.Contains("crosses itself", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.IsError && p.Path == "info[1].area[1].circle[1]" && p.Message.Contains("antimeridian", StringComparison.Ordinal));
    }

    [Fact]
    public void A_drawn_ring_is_rounded_to_about_a_metre_closed_and_rid_of_repeated_clicks()
    {
        var polygon = CapShapes.PolygonFrom([new(53.9590123456, -1.08151), new(53.962, -1.07), new(53.962, -1.07), new(53.955, -1.065)]);

        Assert.Equal("53.95901,-1.08151 53.962,-1.07 53.955,-1.065 53.95901,-1.08151", polygon.ToString());
        Assert.Null(CapShapes.PolygonProblem(polygon));
    }

    [Fact]
    public void A_drawn_circle_turns_metres_into_kilometres()
    {
        Assert.Equal("51.5,-0.12 2.5", CapShapes.CircleFrom(new GeoPoint(51.5, -0.12), 2500).ToString());
    }

    [Fact]
    public void Point_in_polygon_and_circle_are_exact_where_the_box_is_not()
    {
        // An L shape: its box holds 50.8,0.8 but the shape does not.
        var l = CapShapes.ReadPolygon("50,0 51,0 51,0.5 50.5,0.5 50.5,1 50,1 50,0", out _)!;
        Assert.True(CapShapes.Bounds(l).Contains(new GeoPoint(50.8, 0.8)));
        Assert.False(CapShapes.Contains(l, new GeoPoint(50.8, 0.8)));
        Assert.True(CapShapes.Contains(l, new GeoPoint(50.8, 0.2)));
        Assert.True(CapShapes.Contains(l, new GeoPoint(50.2, 0.8)));

        var circle = new CapCircle(new CapPoint(51.5m, -0.12m), 10m);
        Assert.True(CapShapes.Contains(circle, new GeoPoint(51.58, -0.12))); // about 8.9 km north
        Assert.False(CapShapes.Contains(circle, new GeoPoint(51.6, -0.12))); // about 11.1 km north
    }

    /// <summary>Property: every simple polygon (random, star-shaped round a random centre) survives text → geometry → text.</summary>
    [Fact]
    public void Random_valid_polygons_round_trip_between_text_and_geometry()
    {
        var random = new Random(20261205);
        for (var run = 0; run < 500; run++)
        {
            var ring = RandomStarRing(random);
            var drawn = CapShapes.PolygonFrom(ring);
            var text = drawn.ToString();

            var read = CapShapes.ReadPolygon(text, out var problem);

            Assert.True(problem is null, $"run {run}: {text}: {problem}");
            Assert.Equal(drawn, read);
            Assert.Equal(text, read!.ToString());
            // Geometry → text → geometry: the points come back to within the rounding.
            var back = CapShapes.Ring(read);
            Assert.Equal(ring.Count + 1, back.Count);
            for (var i = 0; i < ring.Count; i++)
            {
                Assert.InRange(Math.Abs(back[i].Latitude - ring[i].Latitude), 0, 0.000005 + 1e-12);
                Assert.InRange(Math.Abs(back[i].Longitude - ring[i].Longitude), 0, 0.000005 + 1e-12);
            }
            Assert.Equal(drawn, CapShapes.PolygonFrom(back));
        }
    }

    /// <summary>Property: every valid circle survives text → geometry → text.</summary>
    [Fact]
    public void Random_valid_circles_round_trip_between_text_and_geometry()
    {
        var random = new Random(20261206);
        for (var run = 0; run < 500; run++)
        {
            var centre = new GeoPoint(random.NextDouble() * 160 - 80, random.NextDouble() * 340 - 170);
            var metres = random.NextDouble() * 50_000;
            var drawn = CapShapes.CircleFrom(centre, metres);
            var text = drawn.ToString();

            var read = CapShapes.ReadCircle(text, out var problem);

            Assert.True(problem is null, $"run {run}: {text}: {problem}");
            Assert.Equal(drawn, read);
            Assert.Equal(text, read!.ToString());
            Assert.InRange(Math.Abs((double)read.RadiusKm * 1000 - metres), 0, 0.5 + 1e-9);
            var again = CapShapes.CircleFrom(new GeoPoint((double)read.Centre.Latitude, (double)read.Centre.Longitude), (double)read.RadiusKm * 1000);
            Assert.Equal(drawn, again);
        }
    }

    /// <summary>Points at increasing angles round a centre, each at its own distance: a simple polygon.</summary>
    private static List<GeoPoint> RandomStarRing(Random random)
    {
        var centre = new GeoPoint(random.NextDouble() * 140 - 70, random.NextDouble() * 300 - 150);
        // Evenly spread angles with a jitter of under half a step: no gap reaches half a turn, so the ring stays simple.
        var count = random.Next(4, 40);
        var step = 2 * Math.PI / count;
        var angles = Enumerable.Range(0, count).Select(i => (i + random.NextDouble() * 0.5) * step).ToList();
        var ring = new List<GeoPoint>();
        foreach (var angle in angles)
        {
            var reach = 0.01 + random.NextDouble() * 2;
            var point = new GeoPoint(
                Math.Round(centre.Latitude + reach * Math.Sin(angle), 5),
                Math.Round(centre.Longitude + reach * Math.Cos(angle), 5));
            // Angles too close together could round onto one point or make a sliver; skip those.
            if (ring.Count == 0 || Math.Abs(ring[^1].Latitude - point.Latitude) + Math.Abs(ring[^1].Longitude - point.Longitude) > 0.001)
                ring.Add(point);
        }
        if (ring.Count < 3)
            return RandomStarRing(random);
        return ring;
    }
}
