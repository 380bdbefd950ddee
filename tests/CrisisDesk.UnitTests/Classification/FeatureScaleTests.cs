using CrisisDesk.Core.Classification;
using CrisisDesk.Ingest.Classification;

namespace CrisisDesk.UnitTests.Classification;

/// <summary>Per-feature scales computed from training posts, and the linear models they fold into.</summary>
public class FeatureScaleTests
{
    [Fact]
    public void Naive_Bayes_ratios_are_the_log_count_ratios_with_their_mean_one()
    {
        // Feature 0 in both positive posts and no negative one, feature 1 in one of each, feature 2 in the negative only;
        // feature 3 in no post.
        (int[], bool)[] posts = [([0, 1], true), ([0], true), ([1, 2], false)];

        var scales = FeatureScales.NaiveBayes(posts, 4, alpha: 1f);

        // p = counts + 1 = [3, 2, 1, 1] (sum 7), q = [1, 2, 2, 1] (sum 6); r = log((p / 7) / (q / 6)).
        double R(double p, double q) => Math.Abs(Math.Log((p / 7) / (q / 6)));
        double[] r = [R(3, 1), R(2, 2), R(1, 2)];
        var mean = r.Average();
        Assert.Equal(R(3, 1) / mean, scales[0], 5);
        Assert.Equal(R(2, 2) / mean, scales[1], 5);
        Assert.Equal(R(1, 2) / mean, scales[2], 5);
        Assert.Equal(0f, scales[3]);
        Assert.Equal(1.0, scales.Take(3).Average(), 5);
    }

    [Fact]
    public void A_power_of_zero_gives_every_seen_feature_the_same_scale()
    {
        (int[], bool)[] posts = [([0, 1], true), ([0], true), ([1, 2], false)];

        var scales = FeatureScales.NaiveBayes(posts, 4, power: 0f);

        Assert.Equal([1f, 1f, 1f, 0f], scales);
    }

    [Fact]
    public void Features_of_one_event_are_dropped_and_features_spread_over_events_kept()
    {
        // Feature 0: events 0, 1, 2 alike; feature 1: three posts of event 0, one of event 1 (share 0.75); feature 2: event 1 only.
        (int[], int)[] posts = [([0, 1], 0), ([1], 0), ([1], 0), ([0, 1, 2], 1), ([2], 1), ([0], 2)];

        var soft = FeatureScales.EventSpread(posts, 4, threshold: 0.5f);
        var hard = FeatureScales.EventSpread(posts, 4, threshold: 0.7f, hard: true);

        // Soft: min(1, (1 - share) / (1 - 0.5)).
        Assert.Equal([1f, 0.5f, 0f, 0f], soft);
        Assert.Equal([1f, 0f, 0f, 0f], hard);
    }

    [Fact]
    public void A_model_on_scaled_features_scores_as_its_scaled_weights_on_the_features()
    {
        var model = new LinearClassifier(3, [[1f, 2f, -1f], [0.5f, -1f, 2f]], [0.1f, -0.2f]);
        float[] scales = [2f, 0f, 0.5f];
        var scaledFeatures = new FeatureVector();
        scaledFeatures.CopyFrom([0, 1, 2], [0.6f * 2f, 0.3f * 0f, 0.2f * 0.5f]);
        var features = new FeatureVector();
        features.CopyFrom([0, 1, 2], [0.6f, 0.3f, 0.2f]);

        var expected = new float[2];
        var folded = new float[2];
        model.Predict(scaledFeatures, expected);
        model.Scaled(scales).Predict(features, folded);

        Assert.Equal(expected[0], folded[0], 6);
        Assert.Equal(expected[1], folded[1], 6);
    }

    [Fact]
    public void The_mean_of_models_scores_the_mean_of_their_logits()
    {
        var a = new LinearClassifier(2, [[1f, 0f], [0f, 1f]], [0f, 1f]);
        var b = new LinearClassifier(2, [[3f, 2f], [0f, -1f]], [1f, 0f]);

        var mean = LinearClassifier.Average([a, b]);

        Assert.Equal(2f, mean.Weight(0, 0));
        Assert.Equal(1f, mean.Weight(1, 0));
        Assert.Equal(0f, mean.Weight(1, 1));
        Assert.Equal([0.5f, 0.5f], mean.Biases);
        Assert.Throws<ArgumentException>(() => LinearClassifier.Average([a, new LinearClassifier(3, [new float[3], new float[3]], [0f, 0f])]));
    }

    [Fact]
    public void Scales_written_are_read_back_exactly_and_the_same_scales_give_the_same_bytes()
    {
        float[] scales = [0f, 1.5f, float.Epsilon, 3.25e-7f, 1f];
        using var first = new MemoryStream();
        using var second = new MemoryStream();

        ClassificationModel.WriteScales(first, scales);
        ClassificationModel.WriteScales(second, scales);
        first.Position = 0;

        Assert.Equal(scales, ClassificationModel.ReadScales(first, scales.Length));
        Assert.Equal(first.ToArray(), second.ToArray());
        first.Position = 0;
        Assert.Throws<InvalidDataException>(() => ClassificationModel.ReadScales(first, scales.Length + 1));
    }
}
