using System.Reflection;
using System.Text.Json;
using CrisisDesk.Core.Classification;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace CrisisDesk.Ingest.Classification;

/// <summary>How the committed models were made: the featuriser they expect and what they were trained on.</summary>
/// <param name="Normalise">The featuriser's further normalisation (<see cref="FeaturizerOptions.Normalise"/>).</param>
/// <param name="InformativenessOffsets">Added to the informativeness model's class scores before deciding: the threshold
/// chosen in training (null: the likeliest class).</param>
/// <param name="WordShare">The featuriser's share of the norm for word features (<see cref="FeaturizerOptions.WordShare"/>).</param>
/// <param name="InformativenessMembers">
/// When set, the informativeness model is the mean of these models (their class scores averaged, which is one linear
/// model), each an ML.NET model file trained on features multiplied by its scales; null: the one file
/// <see cref="ClassificationModel.InformativenessFile"/>, on the features as they are.
/// </param>
public sealed record ClassificationManifest(int Bits, int WordNgrams, int CharMin, int CharMax, string Trainer, int TrainingPosts, int Events,
    bool Normalise = false, float[]? InformativenessOffsets = null, float WordShare = 0, IReadOnlyList<InformativenessMember>? InformativenessMembers = null)
{
    public FeaturizerOptions Featurizer => new(Bits, WordNgrams, CharMin, CharMax, Normalise, WordShare);

    /// <summary>The informativeness model's members: those named, or the one file unscaled.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<InformativenessMember> Members => InformativenessMembers ?? [new InformativenessMember(ClassificationModel.InformativenessFile)];
}

/// <summary>One model of the informativeness ensemble.</summary>
/// <param name="File">Its ML.NET model file.</param>
/// <param name="Scales">
/// The file of the per-feature scales its features were multiplied by in training (<see cref="FeatureScales"/>; read by
/// <see cref="ClassificationModel.ReadScales"/>), folded into its weights on loading; null: none.
/// </param>
public sealed record InformativenessMember(string File, string? Scales = null);

/// <summary>
/// The trained classifiers: two ML.NET 6 maximum-entropy models (informativeness, information type) saved by
/// tools/CrisisDesk.Training as ML.NET model files and embedded in this assembly, with a manifest naming the featuriser
/// they were trained with. Loaded once with ML.NET; their weights are then scored by <see cref="LinearClassifier"/>.
/// </summary>
public sealed class ClassificationModel
{
    public const string InformativenessFile = "informativeness.zip";
    public const string InformationTypeFile = "information-type.zip";
    public const string ManifestFile = "manifest.json";
    /// <summary>The extension of a scales file (<see cref="InformativenessMember.Scales"/>).</summary>
    public const string ScalesExtension = ".scales.gz";

    private static readonly Lazy<ClassificationModel> LazyBundled = new(() => Load(OpenBundled));

    public required ClassificationManifest Manifest { get; init; }
    public required LinearClassifier Informativeness { get; init; }
    public required LinearClassifier InformationType { get; init; }

    /// <summary>The models committed in src/CrisisDesk.Ingest/Classification/Model, loaded on first use.</summary>
    public static ClassificationModel Bundled => LazyBundled.Value;

    /// <summary>A classifier for one thread over these models, with VADER's bundled lexicon.</summary>
    public PostClassifier CreateClassifier() =>
        new(new TextFeaturizer(Manifest.Featurizer), Informativeness, InformationType, VaderSentiment.Default,
            Manifest.InformativenessOffsets);

    /// <summary>Loads the three files through <paramref name="open"/> (a file name to a stream).</summary>
    public static ClassificationModel Load(Func<string, Stream> open)
    {
        ClassificationManifest manifest;
        using (var json = open(ManifestFile))
            manifest = JsonSerializer.Deserialize<ClassificationManifest>(json, JsonOptions) ?? throw new InvalidDataException("The classification manifest is empty.");
        var ml = new MLContext(seed: 1);
        var dimension = manifest.Featurizer.Dimension;
        var members = manifest.Members.Select(m => LoadMember(ml, open, m, dimension)).ToList();
        // One table for both: the second model scored finds each feature's row in the cache (LinearClassifier.Interleave).
        var (informativeness, informationType) = LinearClassifier.Interleave(
            members.Count == 1 ? members[0] : LinearClassifier.Average(members),
            LoadLinear(ml, open(InformationTypeFile), dimension, CrisisLexLabels.InformationTypeNames.Count));
        return new ClassificationModel { Manifest = manifest, Informativeness = informativeness, InformationType = informationType };
    }

    /// <summary>One informativeness model over the unscaled features: its ML.NET weights, times its scales when it has them.</summary>
    public static LinearClassifier LoadMember(MLContext ml, Func<string, Stream> open, InformativenessMember member, int dimension)
    {
        var model = LoadLinear(ml, open(member.File), dimension, CrisisLexLabels.InformativenessNames.Count);
        if (member.Scales is null)
            return model;
        using var stream = open(member.Scales);
        return model.Scaled(ReadScales(stream, dimension));
    }

    /// <summary>Writes per-feature scales: gzip of <c>dimension</c> little-endian 32-bit floats (the same scales, the same bytes).</summary>
    public static void WriteScales(Stream stream, ReadOnlySpan<float> scales)
    {
        var bytes = new byte[scales.Length * sizeof(float)];
        for (var f = 0; f < scales.Length; f++)
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(f * sizeof(float)), scales[f]);
        using var gzip = new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true);
        gzip.Write(bytes);
    }

    /// <summary>Reads scales written by <see cref="WriteScales"/>; exactly <paramref name="dimension"/> of them.</summary>
    public static float[] ReadScales(Stream stream, int dimension)
    {
        using var gzip = new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress, leaveOpen: true);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (bytes.Length != dimension * sizeof(float))
            throw new InvalidDataException($"The scales file holds {bytes.Length} bytes, not {dimension} floats.");
        var scales = new float[dimension];
        for (var f = 0; f < dimension; f++)
            scales[f] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes[(f * sizeof(float))..]);
        return scales;
    }

    /// <summary>Loads from a directory holding the three files (the training tool's output).</summary>
    public static ClassificationModel LoadDirectory(string directory) => Load(name => File.OpenRead(Path.Combine(directory, name)));

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static Stream OpenBundled(string name) =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream("CrisisDesk.Ingest.Classification.Model." + name)
        ?? throw new InvalidOperationException($"The classification model file {name} is not embedded in CrisisDesk.Ingest: run tools/CrisisDesk.Training.");

    private static LinearClassifier LoadLinear(MLContext ml, Stream stream, int dimension, int classes)
    {
        using (stream)
        {
            var transformer = ml.Model.Load(stream, out _);
            if (transformer is not MulticlassPredictionTransformer<MaximumEntropyModelParameters> maxent)
                throw new InvalidDataException($"Expected an ML.NET maximum-entropy model, found {transformer.GetType().Name}.");
            var model = ToLinear(maxent.Model, dimension);
            if (model.Classes != classes)
                throw new InvalidDataException($"The model has {model.Classes} classes, not {classes}.");
            return model;
        }
    }

    /// <summary>The model's per-class weights and biases, dense, as <see cref="LinearClassifier"/> scores them.</summary>
    public static LinearClassifier ToLinear(MaximumEntropyModelParameters model, int dimension)
    {
        VBuffer<float>[] weights = [];
        model.GetWeights(ref weights, out var classes);
        var dense = new float[classes][];
        for (var c = 0; c < classes; c++)
        {
            dense[c] = new float[dimension];
            // Densified by hand: a sparse VBuffer's values are only its non-zero entries, at its indices.
            var values = weights[c].GetValues();
            if (weights[c].IsDense)
            {
                values.CopyTo(dense[c]);
            }
            else
            {
                var indices = weights[c].GetIndices();
                for (var i = 0; i < values.Length; i++)
                    dense[c][indices[i]] = values[i];
            }
        }
        return new LinearClassifier(dimension, dense, model.GetBiases().ToArray());
    }
}
