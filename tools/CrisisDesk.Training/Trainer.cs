using System.IO.Compression;
using CrisisDesk.Core.Classification;
using CrisisDesk.Ingest.Classification;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace CrisisDesk.Training;

/// <summary>One way to train: a featurisation, an ML.NET trainer, and whether classes are weighted to balance.</summary>
/// <param name="Trainer"><c>sdca</c> (SdcaMaximumEntropy) or <c>lbfgs</c> (LbfgsMaximumEntropy).</param>
/// <param name="L2">SDCA's L2 regularisation (per example; L-BFGS gets it times the number of rows).</param>
/// <param name="TypeL2">The type model's own L2, when it differs from the informativeness model's.</param>
/// <param name="InnerFolds">
/// 0: each model decides its likeliest class. Otherwise the decision offsets (the informativeness threshold, the types'
/// per-class offsets) are tuned for each held-out event inside its 21 training events, split into this many groups of
/// events (train on the others, predict the group): the held-out event is never seen while choosing them.
/// </param>
/// <param name="Iterations">SDCA's most passes over the data.</param>
/// <param name="BinaryInformative">The informativeness model learns informative against not (two classes), not CrisisLexT26's three.</param>
/// <param name="InformativeBalancePower">
/// When balanced, the informativeness model's class weights raised to this power: 1 fully balanced, 0.5 half-way
/// (square root), 0 unweighted. The type model stays fully balanced.
/// </param>
/// <param name="BySource">
/// The informativeness model learns each related class split by its labelled information source (media, government,
/// eyewitness, outsiders...): "informative" from the media reads unlike "informative" from an eyewitness, and a linear
/// model separates the parts more easily than the whole. Its probabilities are summed back to the three classes.
/// </param>
/// <param name="Scale">
/// The informativeness model's features scaled per feature before training, the scales computed on its training events
/// only (<see cref="FeatureScales"/>): <c>nb</c>, naive Bayes log-count ratios of informative against not, to the power
/// <paramref name="ScaleParameter"/>; <c>spread</c>, down-weighting features concentrated in one training event (soft,
/// the parameter the share from which the scale falls); <c>mask</c>, the same but dropping them outright; <c>spread-nb</c>:
/// both (spread at the parameter, naive Bayes to the power 0.5). The model learnt is folded back onto unscaled features.
/// </param>
/// <param name="Members">
/// The informativeness model is the mean of these candidates' informativeness models (their logits averaged: one linear
/// model); this candidate's own informativeness settings are then unused, its type model is its own.
/// </param>
/// <param name="Bags">
/// The informativeness model is the mean of this many models, each trained without one group of the training events
/// (events i with i mod Bags = k left out of member k).
/// </param>
public sealed record Candidate(FeaturizerOptions Featurizer, string Trainer, bool Balanced, float L2 = 1e-4f, float? TypeL2 = null, int InnerFolds = 0,
    int Iterations = 30, bool BinaryInformative = false, float InformativeBalancePower = 1f, bool BySource = false, string? Scale = null,
    float ScaleParameter = 1f, IReadOnlyList<Candidate>? Members = null, int Bags = 0)
{
    /// <summary>CrisisLexT26's information sources, each related class's subclasses in this order.</summary>
    public static readonly string[] Sources = ["Business", "Eyewitness", "Government", "Media", "NGOs", "Not applicable", "Outsiders"];

    public int InformativenessClasses => BySource ? 1 + (2 * Sources.Length) : BinaryInformative ? 2 : 3;

    /// <summary>The three classes' probabilities (not related, related but not informative, informative) from the model's.</summary>
    public void ThreeClasses(ReadOnlySpan<float> modelProbabilities, Span<float> three)
    {
        if (!BySource)
        {
            modelProbabilities.CopyTo(three);
            return;
        }
        three[0] = modelProbabilities[0];
        three[1] = 0;
        three[2] = 0;
        for (var s = 0; s < Sources.Length; s++)
        {
            three[1] += modelProbabilities[1 + s];
            three[2] += modelProbabilities[1 + Sources.Length + s];
        }
    }

    public const float DefaultL2 = 1e-4f; // the default of the parameter above

    public string Name => $"{Featurizer} {(Trainer == "sdca" ? "SDCA maxent" : "L-BFGS maxent")}{(Balanced ? ", balanced" : "")}"
        + (L2 == DefaultL2 && TypeL2 is null ? "" : FormattableString.Invariant($", L2 {L2:0.#####}"))
        + (TypeL2 is { } t ? FormattableString.Invariant($" (types {t:0.#####})") : "")
        + (Iterations != 30 ? $", {Iterations} SDCA passes" : "")
        + (BinaryInformative ? ", informative against not" : "")
        + (BySource ? ", related classes split by source" : "")
        + (Balanced && InformativeBalancePower != 1f ? FormattableString.Invariant($", informativeness weights ^{InformativeBalancePower:0.##}") : "")
        + (Scale is { } scale ? FormattableString.Invariant($", features scaled {scale} {ScaleParameter:0.##}") : "")
        + (Bags > 0 ? $", informativeness bagged over {Bags} event groups" : "")
        + (Members is { Count: > 0 } members ? $", informativeness the mean of [{string.Join("; ", members.Select(m => m.InformativenessName))}]" : "")
        + (InnerFolds > 0 ? $", offsets tuned ({InnerFolds} inner folds)" : "");

    public float L2For(bool types) => types ? TypeL2 ?? L2 : L2;

    /// <summary>What sets the informativeness model apart, for a member's name.</summary>
    public string InformativenessName =>
        FormattableString.Invariant($"L2 {L2:0.#####}")
        + (InformativeBalancePower != 1f ? FormattableString.Invariant($", weights ^{InformativeBalancePower:0.##}") : "")
        + (Featurizer.Bits != 18 ? $", 2^{Featurizer.Bits}" : "")
        + (Scale is { } scale ? FormattableString.Invariant($", scaled {scale} {ScaleParameter:0.##}") : ", plain")
        + (Bags > 0 ? $", bagged {Bags}" : "");
}

/// <summary>A post's features and its class, ready for ML.NET.</summary>
public sealed record FeatureRow(int[] Indices, float[] Values, int Label);

/// <summary>Trains ML.NET 6 maximum-entropy models on precomputed sparse features.</summary>
public static class Trainer
{
    /// <summary>
    /// The training rows ML.NET reads: the sparse feature vector, the class, a weight. The class goes in as its own
    /// index: loaded this way, ML.NET's class i is the key value i (checked: with 1-based values the last class was
    /// dropped as out of range and every other class moved up by one).
    /// </summary>
    private sealed class Example
    {
        public VBuffer<float> Features { get; set; }
        public uint Label { get; set; }
        public float Weight { get; set; }
    }

    public static (MulticlassPredictionTransformer<MaximumEntropyModelParameters> Model, DataViewSchema Schema) Train(
        IReadOnlyList<FeatureRow> rows, int classes, Candidate candidate)
    {
        var l2 = candidate.L2For(types: classes == 6);
        // One thread and a fixed seed: the same data gives the same model on every run.
        var ml = new MLContext(seed: 1);
        var dimension = candidate.Featurizer.Dimension;
        var weights = new float[classes];
        Array.Fill(weights, 1f);
        if (candidate.Balanced)
        {
            var counts = new int[classes];
            foreach (var row in rows)
                counts[row.Label]++;
            var power = classes == 6 ? 1f : candidate.InformativeBalancePower;
            if (candidate.BySource && classes != 6 && power != 0)
                throw new NotSupportedException("Split by source, the informativeness model is trained unweighted (InformativeBalancePower 0).");
            for (var c = 0; c < classes; c++)
                weights[c] = counts[c] == 0 ? 0 : MathF.Pow((float)rows.Count / (classes * counts[c]), power);
        }
        var examples = rows.Select(r => new Example
        {
            Features = new VBuffer<float>(dimension, r.Indices.Length, r.Values, r.Indices),
            Label = (uint)r.Label,
            Weight = weights[r.Label],
        }).ToList();
        var schema = SchemaDefinition.Create(typeof(Example));
        schema[nameof(Example.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimension);
        schema[nameof(Example.Label)].ColumnType = new KeyDataViewType(typeof(uint), classes);
        var data = ml.Data.Cache(ml.Data.LoadFromEnumerable(examples, schema));

        var model = candidate.Trainer switch
        {
            "sdca" => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = nameof(Example.Label),
                FeatureColumnName = nameof(Example.Features),
                ExampleWeightColumnName = nameof(Example.Weight),
                NumberOfThreads = 1,
                MaximumNumberOfIterations = candidate.Iterations,
                // Explicit: the defaults' L1 threshold zeroed almost every hashed feature.
                L1Regularization = 0,
                L2Regularization = l2,
            }).Fit(data),
            "lbfgs" => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = nameof(Example.Label),
                FeatureColumnName = nameof(Example.Features),
                ExampleWeightColumnName = nameof(Example.Weight),
                NumberOfThreads = 1,
                L1Regularization = 0,
                L2Regularization = l2 * rows.Count,
                OptimizationTolerance = 1e-5f,
                MaximumNumberOfIterations = 200,
            }).Fit(data),
            _ => throw new ArgumentException($"Unknown trainer {candidate.Trainer}."),
        };
        return (model, data.Schema);
    }

    /// <summary>
    /// Saves the model as an ML.NET model file with every entry's time fixed, so that the same weights give the same
    /// bytes and a rerun of the training leaves the committed file unchanged.
    /// </summary>
    public static void Save(MulticlassPredictionTransformer<MaximumEntropyModelParameters> model, DataViewSchema schema, string path)
    {
        var ml = new MLContext(seed: 1);
        using var buffer = new MemoryStream();
        ml.Model.Save(model, schema, buffer);
        using var output = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(buffer.ToArray()), ZipArchiveMode.Read))
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries.OrderBy(e => e.FullName, StringComparer.Ordinal))
            {
                var copy = target.CreateEntry(entry.FullName, CompressionLevel.SmallestSize);
                copy.LastWriteTime = new DateTimeOffset(2013, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var from = entry.Open();
                using var to = copy.Open();
                from.CopyTo(to);
            }
        }
        File.WriteAllBytes(path, output.ToArray());
    }

    public static LinearClassifier Linear(MulticlassPredictionTransformer<MaximumEntropyModelParameters> model, int dimension) =>
        ClassificationModel.ToLinear(model.Model, dimension);
}
