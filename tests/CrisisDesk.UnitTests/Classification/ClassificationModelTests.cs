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

    // The real posts above and a few more, as the pipeline sees them.
    public static IEnumerable<string> RealTexts =>
        LabelledPosts.Select(row => (string)row[0]).Concat(
        [
            "Roads closed near the river, evacuation centres open at the school #floods",
            "Terremoto en Cañas: ¡sismo de 7,6! http://t.co/abc",
            "Метеорит упал в Челябинске",
            "",
        ]);

    [Fact]
    public void The_fast_scorer_gives_the_type_probabilities_ML_NET_gives() =>
        AssertScoresAsMlNet(ClassificationModel.InformationTypeFile, null, 6, ClassificationModel.Bundled.InformationType);

    [Fact]
    public void Each_informativeness_model_scores_as_ML_NET_scores_it_on_its_scaled_features()
    {
        var model = ClassificationModel.Bundled;
        var dimension = model.Manifest.Featurizer.Dimension;
        foreach (var member in model.Manifest.Members)
        {
            var folded = ClassificationModel.LoadMember(new MLContext(seed: 1), Open, member, dimension);
            float[]? scales = null;
            if (member.Scales is { } file)
            {
                using var stream = Open(file);
                scales = ClassificationModel.ReadScales(stream, dimension);
            }
            AssertScoresAsMlNet(member.File, scales, 3, folded);
        }
    }

    [Fact]
    public void The_informativeness_model_is_the_mean_of_its_members()
    {
        var model = ClassificationModel.Bundled;
        var dimension = model.Manifest.Featurizer.Dimension;
        var members = model.Manifest.Members.Select(m => ClassificationModel.LoadMember(new MLContext(seed: 1), Open, m, dimension)).ToList();
        var featurizer = new TextFeaturizer(model.Manifest.Featurizer);
        foreach (var text in RealTexts)
        {
            var vector = new FeatureVector();
            featurizer.Extract(text, vector);
            var logits = new double[3];
            foreach (var member in members)
            {
                for (var c = 0; c < 3; c++)
                {
                    logits[c] += member.Biases[c] / members.Count;
                    for (var i = 0; i < vector.Count; i++)
                        logits[c] += member.Weight(vector.Indices[i], c) * vector.Values[i] / members.Count;
                }
            }
            var max = logits.Max();
            var sum = logits.Sum(l => Math.Exp(l - max));
            var probabilities = new float[3];
            model.Informativeness.Predict(vector, probabilities);
            for (var c = 0; c < 3; c++)
                Assert.Equal(Math.Exp(logits[c] - max) / sum, probabilities[c], 4);
        }
    }

    private static Stream Open(string name) =>
        typeof(ClassificationModel).Assembly.GetManifestResourceStream("CrisisDesk.Ingest.Classification.Model." + name)!;

    /// <summary>ML.NET's probabilities for the model file on the features times <paramref name="scales"/>, against the fast scorer's on the features.</summary>
    private static void AssertScoresAsMlNet(string file, float[]? scales, int classes, LinearClassifier fastModel)
    {
        var model = ClassificationModel.Bundled;
        var featurizer = new TextFeaturizer(model.Manifest.Featurizer);
        var dimension = model.Manifest.Featurizer.Dimension;

        var ml = new MLContext(seed: 1);
        using var stream = Open(file);
        var transformer = ml.Model.Load(stream, out _);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimension);
        schema[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), (ulong)classes);
        var rows = new List<Row>();
        var fast = new List<(float[] Probabilities, int Class)>();
        foreach (var text in RealTexts)
        {
            var vector = new FeatureVector();
            featurizer.Extract(text, vector);
            var values = vector.Values[..vector.Count];
            if (scales is not null)
            {
                for (var i = 0; i < values.Length; i++)
                    values[i] *= scales[vector.Indices[i]];
            }
            rows.Add(new Row { Features = new VBuffer<float>(dimension, vector.Count, values, vector.Indices[..vector.Count]), Label = 0, Weight = 1 });
            var probabilities = new float[classes];
            fast.Add((probabilities, fastModel.Predict(vector, probabilities)));
        }
        var scored = transformer.Transform(ml.Data.LoadFromEnumerable(rows, schema));
        var scores = scored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToList();

        Assert.Equal(rows.Count, scores.Count);
        for (var i = 0; i < scores.Count; i++)
        {
            Assert.Equal(classes, scores[i].Length);
            for (var c = 0; c < classes; c++)
                Assert.Equal(scores[i][c], fast[i].Probabilities[c], 4);
            Assert.Equal(Array.IndexOf(scores[i], scores[i].Max()), fast[i].Class);
        }
    }

    private sealed class Row
    {
        public VBuffer<float> Features { get; set; }
        public uint Label { get; set; }
        public float Weight { get; set; }
    }
}
