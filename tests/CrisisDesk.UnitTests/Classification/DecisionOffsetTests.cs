using CrisisDesk.Core.Classification;

namespace CrisisDesk.UnitTests.Classification;

/// <summary>The informativeness threshold: offsets added to class scores move the decision, not the probabilities.</summary>
public class DecisionOffsetTests
{
    // Two features over three classes: feature 0 favours class 0, feature 1 class 2 a little less.
    private static readonly LinearClassifier Model = new(2, [[2f, 0f], [0f, 0f], [0f, 1.5f]], [0f, 0f, 0f]);

    private static FeatureVector Both()
    {
        var vector = new FeatureVector();
        vector.CopyFrom([0, 1], [1f, 1f]);
        return vector;
    }

    [Fact]
    public void Without_offsets_the_likeliest_class_is_chosen()
    {
        var probabilities = new float[3];
        Assert.Equal(0, Model.Predict(Both(), probabilities));
        Assert.Equal(0, Model.Predict(Both(), probabilities, []));
    }

    [Fact]
    public void An_offset_above_the_score_gap_changes_the_class_and_leaves_the_probabilities()
    {
        var plain = new float[3];
        var shifted = new float[3];
        Model.Predict(Both(), plain);

        // Class 2 scores 0.5 below class 0: an offset of 0.6 on it wins, 0.4 does not, and a tie keeps the earlier class.
        Assert.Equal(2, Model.Predict(Both(), shifted, [0f, 0f, 0.6f]));
        Assert.Equal(plain, shifted);
        Assert.Equal(0, Model.Predict(Both(), shifted, [0f, 0f, 0.4f]));
        Assert.Equal(0, Model.Predict(Both(), shifted, [0f, 0f, 0.5f]));
    }

    [Fact]
    public void The_post_classifier_applies_the_informativeness_offsets_it_is_given()
    {
        // Informativeness classes: 0 not related, 1 related but not informative, 2 related and informative.
        var informativeness = new LinearClassifier(1 << 10, [new float[1 << 10], new float[1 << 10], new float[1 << 10]], [0.5f, 0f, 0f]);
        var types = new LinearClassifier(1 << 10, [.. Enumerable.Range(0, 6).Select(_ => new float[1 << 10])], [0f, 0f, 0f, 0f, 0f, 0f]);
        var featurizer = new TextFeaturizer(new FeaturizerOptions(10, 1, 0, 0));

        var plain = new PostClassifier(featurizer, informativeness, types, VaderSentiment.Default).Classify("roads closed");
        var threshold = new PostClassifier(new TextFeaturizer(featurizer.Options), informativeness, types, VaderSentiment.Default, [0f, 0f, 0.75f])
            .ForAnotherThread().Classify("roads closed");

        Assert.Equal(Informativeness.NotRelated, plain.Informativeness);
        Assert.True(threshold.Informative);
    }
}
