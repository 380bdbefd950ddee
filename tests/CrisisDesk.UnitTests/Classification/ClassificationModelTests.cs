using CrisisDesk.Core.Classification;
using CrisisDesk.Ingest.Classification;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CrisisDesk.UnitTests.Classification;

/// <summary>The committed models: they load from the assembly, score as ML.NET scores them, and read real posts as their labels say.</summary>
public class ClassificationModelTests
{
    [Fact]
    public void The_committed_models_load_with_the_featuriser_they_were_trained_with()
    {
        var model = ClassificationModel.Bundled;

        Assert.Equal(3, model.Informativeness.Classes);
        Assert.Equal(6, model.InformationType.Classes);
        Assert.Equal(model.Manifest.Featurizer.Dimension, model.Informativeness.Dimension);
        Assert.Equal(22, model.Manifest.Events);
        Assert.True(model.Manifest.TrainingPosts > 20_000);
    }

    // Real CrisisLexT26 tweets (MIT) with their crowd labels: type, and whether "Related and informative".
    [Theory]
    [MemberData(nameof(LabelledPosts))]
    public void Real_posts_are_classified_as_their_labels_say(string text, InformationType type, bool informative)
    {
        var reading = ClassificationModel.Bundled.CreateClassifier().Classify(text);

        Assert.Equal(type, reading.InformationType);
        Assert.Equal(informative, reading.Informative);
    }

    public static TheoryData<string, InformationType, bool> LabelledPosts => LabelledPostData.Posts;

    [Fact]
    public void The_fast_scorer_gives_the_probabilities_ML_NET_gives()
    {
        var model = ClassificationModel.Bundled;
        var featurizer = new TextFeaturizer(model.Manifest.Featurizer);
        var vector = new FeatureVector();
        featurizer.Extract("Roads closed near the river, evacuation centres open at the school #floods", vector);
        Span<float> fast = stackalloc float[6];
        model.InformationType.Predict(vector, fast);

        var ml = new MLContext(seed: 1);
        using var file = typeof(ClassificationModel).Assembly.GetManifestResourceStream("CrisisDesk.Ingest.Classification.Model." + ClassificationModel.InformationTypeFile)!;
        var transformer = ml.Model.Load(file, out var inputSchema);
        var dimension = model.Manifest.Featurizer.Dimension;
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimension);
        schema[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), 6);
        var row = new Row { Features = new VBuffer<float>(dimension, vector.Count, vector.Values[..vector.Count], vector.Indices[..vector.Count]), Label = 1, Weight = 1 };
        var scored = transformer.Transform(ml.Data.LoadFromEnumerable([row], schema));
        var scores = scored.GetColumn<VBuffer<float>>("Score").Single().DenseValues().ToArray();

        Assert.Equal(6, scores.Length);
        for (var c = 0; c < 6; c++)
            Assert.Equal(scores[c], fast[c], 4);
        Assert.NotNull(inputSchema);
    }

    private sealed class Row
    {
        public VBuffer<float> Features { get; set; }
        public uint Label { get; set; }
        public float Weight { get; set; }
    }
}
