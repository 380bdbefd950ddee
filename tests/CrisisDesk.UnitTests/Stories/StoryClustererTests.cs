using CrisisDesk.Core.Stories;

namespace CrisisDesk.UnitTests.Stories;

public class StoryClustererTests
{
    private static readonly DateTimeOffset T0 = new(2014, 10, 22, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Retweets_and_copies_with_other_links_and_casing_join_the_first_posts_story()
    {
        var clusterer = new StoryClusterer();
        var first = clusterer.Assign("1", "Soldier killed at war memorial identified as Cpl. Nathan Cirillo http://t.co/aaa", T0);
        var retweet = clusterer.Assign("2", "RT @globeandmail: Soldier killed at war memorial identified as Cpl. Nathan Cirillo http://t.co/bbb", T0.AddSeconds(20));
        var shouted = clusterer.Assign("3", "SOLDIER KILLED AT WAR MEMORIAL IDENTIFIED AS CPL NATHAN CIRILLO!!", T0.AddSeconds(40));
        var commented = clusterer.Assign("4", "#RIPNathanCirillo RT @globeandmail: Soldier killed at war memorial identified as Cpl. Nathan Cirillo #OttawaShooting", T0.AddSeconds(50));

        Assert.True(first.IsNewStory);
        Assert.False(retweet.IsNewStory);
        Assert.Equal(first.StoryId, retweet.StoryId);
        Assert.Equal(first.StoryId, shouted.StoryId);
        Assert.Equal(first.StoryId, commented.StoryId);
        Assert.Equal(4, commented.Story.Size);
        Assert.Equal("1", commented.Story.FirstPostId);
        Assert.Equal(T0, commented.Story.FirstPostAt);
        Assert.Equal(T0.AddSeconds(50), commented.Story.LatestPostAt);
    }

    [Fact]
    public void Different_messages_about_the_same_event_are_different_stories()
    {
        var clusterer = new StoryClusterer();
        var a = clusterer.Assign("1", "I'm at East Library (Colorado Springs, CO) http://t.co/a", T0);
        var b = clusterer.Assign("2", "Full Time Housekeeper - Colorado Springs, CO http://t.co/b", T0.AddSeconds(1));
        var c = clusterer.Assign("3", "Colorado wildfire now 50 percent contained", T0.AddSeconds(2));

        Assert.True(a.IsNewStory && b.IsNewStory && c.IsNewStory);
        Assert.Equal(3, new[] { a.StoryId, b.StoryId, c.StoryId }.Distinct().Count());
    }

    [Fact]
    public void A_story_ages_out_after_the_window_and_a_late_copy_starts_a_new_one()
    {
        var clusterer = new StoryClusterer(new StoryClustererOptions { Window = TimeSpan.FromMinutes(30) });
        var first = clusterer.Assign("1", "Parliament Hill in lockdown after soldier shot at the War Memorial", T0);
        clusterer.Assign("2", "Unrelated: traffic is heavy on the Queensway this evening", T0.AddMinutes(45));
        var late = clusterer.Assign("3", "Parliament Hill in lockdown after soldier shot at the War Memorial", T0.AddMinutes(46));

        Assert.True(late.IsNewStory);
        Assert.NotEqual(first.StoryId, late.StoryId);
        Assert.False(clusterer.TryGetStory(first.StoryId, out _));
        Assert.Equal(2, clusterer.ActiveStoryCount);
    }

    [Fact]
    public void A_story_fed_within_the_window_stays_alive_beyond_it()
    {
        var clusterer = new StoryClusterer(new StoryClustererOptions { Window = TimeSpan.FromMinutes(30) });
        var first = clusterer.Assign("0", "Canadian officials now calling today's parliament shooting a terrorist attack", T0);
        StoryAssignment last = first;
        for (var i = 1; i <= 12; i++)
        {
            last = clusterer.Assign(i.ToString(), "RT @x: Canadian officials now calling today's parliament shooting a terrorist attack", T0.AddMinutes(i * 10));
        }

        Assert.Equal(first.StoryId, last.StoryId);
        Assert.Equal(13, last.Story.Size);
    }

    [Fact]
    public void Memory_stays_bounded_in_a_long_stream()
    {
        var clusterer = new StoryClusterer(new StoryClustererOptions { Window = TimeSpan.FromMinutes(10) });
        for (var i = 0; i < 20_000; i++)
        {
            // Every post distinct, one per second: only the last ten minutes may stay indexed.
            var words = string.Join(' ', Enumerable.Range(0, 8).Select(k => $"w{i}x{k}"));
            clusterer.Assign(i.ToString(), words, T0.AddSeconds(i));
        }

        Assert.InRange(clusterer.IndexedPostCount, 1, 601);
        Assert.InRange(clusterer.ActiveStoryCount, 1, 601);
    }

    [Fact]
    public void A_viral_retweet_storm_indexes_only_a_few_representatives()
    {
        var clusterer = new StoryClusterer();
        StoryAssignment last = default;
        for (var i = 0; i < 5_000; i++)
        {
            last = clusterer.Assign(i.ToString(), $"RT @user{i}: Clarifying a rumour for #yyc. There are NO zoo animals being sheltered at the Courts. http://t.co/{i}", T0.AddMilliseconds(i * 100));
        }

        Assert.Equal(5_000, last.Story.Size);
        Assert.Equal(1, clusterer.ActiveStoryCount);
        Assert.Equal(1, clusterer.IndexedPostCount);
    }

    [Fact]
    public void Growth_per_minute_counts_the_recent_minutes_only()
    {
        var clusterer = new StoryClusterer(new StoryClustererOptions { GrowthMinutes = 5 });
        StoryAssignment last = default;
        // Ten posts at minute 0, then 20 in minute 10.
        for (var i = 0; i < 10; i++)
        {
            last = clusterer.Assign($"a{i}", "Water is up to row 10 at Saddledome. Dressing rooms completely submerged.", T0.AddSeconds(i));
        }

        Assert.Equal(10 / 5.0, last.Story.GrowthPerMinute);
        for (var i = 0; i < 20; i++)
        {
            last = clusterer.Assign($"b{i}", "Water is up to row 10 at Saddledome. Dressing rooms completely submerged.", T0.AddMinutes(10).AddSeconds(i));
        }

        Assert.Equal(20 / 5.0, last.Story.GrowthPerMinute);
        Assert.Equal(30, last.Story.Size);
    }

    [Fact]
    public void Same_input_gives_the_same_stories()
    {
        var posts = StoryFixture.Load();
        var first = posts.Select(p => p.Id).Zip(Run(posts)).ToList();
        var second = posts.Select(p => p.Id).Zip(Run(posts)).ToList();

        Assert.Equal(first, second);
        Assert.True(first.Select(x => x.Second).Distinct().Count() < posts.Count, "the fixture has copies: some posts must share a story");

        static List<long> Run(IReadOnlyList<StoryFixture.Post> posts)
        {
            var clusterer = new StoryClusterer();
            return posts.Select(p => clusterer.Assign(p.Id, p.Text, p.CreatedAt).StoryId).ToList();
        }
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var clusterer = new StoryClusterer();
        Assert.Throws<ArgumentException>(() => clusterer.Assign("", "text", T0));
        Assert.Throws<ArgumentNullException>(() => clusterer.Assign("1", null!, T0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StoryClusterer(new StoryClustererOptions { Window = TimeSpan.Zero }));
    }

    [Fact]
    public void Posts_without_words_are_stories_of_their_own()
    {
        var clusterer = new StoryClusterer();
        var a = clusterer.Assign("1", "http://t.co/x 🙏", T0);
        var b = clusterer.Assign("2", "http://t.co/x 🙏", T0);

        Assert.True(a.IsNewStory && b.IsNewStory);
        Assert.NotEqual(a.StoryId, b.StoryId);
    }
}
