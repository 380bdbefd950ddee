namespace CrisisDesk.Core.Classification;

/// <summary>
/// A multiclass linear model (multinomial logistic regression): each class scores <c>w·x + b</c>, the probabilities are
/// their softmax. The weights come from an ML.NET maximum-entropy model (see <c>ClassificationModel</c> in
/// CrisisDesk.Ingest); scoring them here, over the sparse features, is the same arithmetic without ML.NET's per-call
/// machinery, and is safe to share between threads.
/// </summary>
public sealed class LinearClassifier
{
    // Weights by feature (table[feature * stride + offset + class]): one feature's weights share a cache line. Two
    // models over the same features can share one table (see Interleave), each feature's weights of both side by side.
    private readonly float[] _table;
    private readonly int _stride;
    private readonly int _offset;
    private readonly float[] _biases;

    /// <param name="weights">Per class, a dense weight vector of <paramref name="dimension"/> entries.</param>
    public LinearClassifier(int dimension, IReadOnlyList<float[]> weights, IReadOnlyList<float> biases)
    {
        if (weights.Count != biases.Count || weights.Count < 2)
            throw new ArgumentException("A classifier needs a weight vector and a bias per class, and at least two classes.");
        Classes = weights.Count;
        Dimension = dimension;
        _biases = [.. biases];
        _stride = Classes;
        _table = new float[dimension * Classes];
        for (var c = 0; c < Classes; c++)
        {
            if (weights[c].Length != dimension)
                throw new ArgumentException($"Class {c}'s weights have {weights[c].Length} entries, not {dimension}.");
            for (var f = 0; f < dimension; f++)
                _table[(f * Classes) + c] = weights[c][f];
        }
    }

    private LinearClassifier(float[] table, int stride, int offset, int classes, int dimension, float[] biases)
    {
        (_table, _stride, _offset, Classes, Dimension, _biases) = (table, stride, offset, classes, dimension, biases);
    }

    public int Classes { get; }
    public int Dimension { get; }

    /// <summary>
    /// The same two models with their weights in one table, a feature's weights of both in one row: scoring both
    /// (<see cref="PredictBoth"/>) then reads one place in memory per feature instead of two. On the 2^18-bucket models
    /// the tables are megabytes and each feature's read is a likely cache miss, so this halves the misses.
    /// </summary>
    public static (LinearClassifier First, LinearClassifier Second) Interleave(LinearClassifier first, LinearClassifier second)
    {
        if (first.Dimension != second.Dimension)
            throw new ArgumentException("Only models over the same features can share a table.");
        var stride = first.Classes + second.Classes;
        var table = new float[first.Dimension * stride];
        for (var f = 0; f < first.Dimension; f++)
        {
            for (var c = 0; c < first.Classes; c++)
                table[(f * stride) + c] = first.Weight(f, c);
            for (var c = 0; c < second.Classes; c++)
                table[(f * stride) + first.Classes + c] = second.Weight(f, c);
        }
        return (new LinearClassifier(table, stride, 0, first.Classes, first.Dimension, first._biases),
            new LinearClassifier(table, stride, first.Classes, second.Classes, second.Dimension, second._biases));
    }

    /// <summary>The weight of <paramref name="feature"/> for class <paramref name="c"/>.</summary>
    public float Weight(int feature, int c) => _table[(feature * _stride) + _offset + c];

    /// <summary>Writes each class's probability into <paramref name="probabilities"/> and returns the likeliest class.</summary>
    public int Predict(FeatureVector features, Span<float> probabilities)
    {
        var scores = probabilities[..Classes];
        _biases.CopyTo(scores);
        var table = _table.AsSpan();
        for (var i = 0; i < features.Count; i++)
        {
            var value = features.Values[i];
            var row = table.Slice((features.Indices[i] * _stride) + _offset, Classes);
            for (var c = 0; c < scores.Length; c++)
                scores[c] += row[c] * value;
        }
        var best = ArgMax(scores);
        var max = scores[best];
        var sum = 0f;
        for (var c = 0; c < scores.Length; c++)
        {
            scores[c] = MathF.Exp(scores[c] - max);
            sum += scores[c];
        }
        for (var c = 0; c < scores.Length; c++)
            scores[c] /= sum;
        return best;
    }

    /// <summary>
    /// The likeliest class of each of two models made by <see cref="Interleave"/>, in one pass over the features; the
    /// scores are summed in the same order as <see cref="Predict"/> sums them, so the classes are the same. No
    /// probabilities: their softmax does not change which class is likeliest.
    /// </summary>
    public static (int First, int Second) PredictBoth(LinearClassifier first, LinearClassifier second, FeatureVector features)
    {
        if (!AreInterleaved(first, second))
            throw new ArgumentException("PredictBoth needs two models made by Interleave.");
        var stride = first._stride;
        Span<float> scores = stackalloc float[stride];
        first._biases.CopyTo(scores);
        second._biases.CopyTo(scores[first.Classes..]);
        var table = first._table.AsSpan();
        var indices = features.Indices.AsSpan(0, features.Count);
        var values = features.Values.AsSpan(0, features.Count);
        for (var i = 0; i < indices.Length; i++)
        {
            var value = values[i];
            var row = table.Slice(indices[i] * stride, stride);
            for (var c = 0; c < scores.Length; c++)
                scores[c] += row[c] * value;
        }
        return (ArgMax(scores[..first.Classes]), ArgMax(scores[first.Classes..]));
    }

    /// <summary>Whether <paramref name="first"/> and <paramref name="second"/> are the two halves of one <see cref="Interleave"/>.</summary>
    public static bool AreInterleaved(LinearClassifier first, LinearClassifier second) =>
        ReferenceEquals(first._table, second._table) && first._offset == 0 && second._offset == first.Classes;

    private static int ArgMax(ReadOnlySpan<float> scores)
    {
        var best = 0;
        for (var c = 1; c < scores.Length; c++)
        {
            if (scores[c] > scores[best])
                best = c;
        }
        return best;
    }
}
