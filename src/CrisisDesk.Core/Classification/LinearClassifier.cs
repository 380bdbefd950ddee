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
    /// The same two models with their weights in one table, a feature's weights of both in one row: scoring the second
    /// after the first then finds each feature's row already in the cache. On the 2^18-bucket models the tables are
    /// megabytes and each feature's read is a likely cache miss, so this halves the misses. (Scoring both in one fused
    /// loop over the nine classes measured slower than the two plain loops: bench/README.md.)
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

    /// <summary>The class biases.</summary>
    public IReadOnlyList<float> Biases => _biases;

    /// <summary>
    /// The model that reads unscaled features as this one reads features scaled by <paramref name="scales"/>
    /// (<see cref="FeatureScales"/>): each feature's weights multiplied by its scale.
    /// </summary>
    public LinearClassifier Scaled(ReadOnlySpan<float> scales)
    {
        if (scales.Length != Dimension)
            throw new ArgumentException($"{scales.Length} scales for {Dimension} features.");
        var weights = new float[Classes][];
        for (var c = 0; c < Classes; c++)
        {
            weights[c] = new float[Dimension];
            for (var f = 0; f < Dimension; f++)
                weights[c][f] = Weight(f, c) * scales[f];
        }
        return new LinearClassifier(Dimension, weights, _biases);
    }

    /// <summary>
    /// The mean of several models over the same features and classes: its scores are the mean of theirs (an ensemble
    /// averaging the members' logits is itself one linear model, scored at the cost of one).
    /// </summary>
    public static LinearClassifier Average(IReadOnlyList<LinearClassifier> members)
    {
        if (members.Count == 0)
            throw new ArgumentException("No models to average.");
        var first = members[0];
        if (members.Any(m => m.Dimension != first.Dimension || m.Classes != first.Classes))
            throw new ArgumentException("Only models over the same features and classes can be averaged.");
        var weights = new float[first.Classes][];
        var biases = new float[first.Classes];
        for (var c = 0; c < first.Classes; c++)
        {
            weights[c] = new float[first.Dimension];
            foreach (var m in members)
            {
                for (var f = 0; f < first.Dimension; f++)
                    weights[c][f] += m.Weight(f, c);
                biases[c] += m._biases[c];
            }
            for (var f = 0; f < first.Dimension; f++)
                weights[c][f] /= members.Count;
            biases[c] /= members.Count;
        }
        return new LinearClassifier(first.Dimension, weights, biases);
    }

    /// <summary>The weight of <paramref name="feature"/> for class <paramref name="c"/>.</summary>
    public float Weight(int feature, int c) => _table[(feature * _stride) + _offset + c];

    /// <summary>Writes each class's probability into <paramref name="probabilities"/> and returns the likeliest class.</summary>
    public int Predict(FeatureVector features, Span<float> probabilities) => Predict(features, probabilities, default);

    /// <summary>
    /// As <see cref="Predict(FeatureVector, Span{float})"/>, but the class returned is the one whose score plus its
    /// offset is highest: offsets move the decision between classes (a threshold, chosen in training) and leave the
    /// probabilities as the model gives them. No offsets: the likeliest class.
    /// </summary>
    public int Predict(FeatureVector features, Span<float> probabilities, ReadOnlySpan<float> offsets)
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
        var decided = offsets.IsEmpty ? -1 : ArgMaxWithOffsets(scores, offsets);
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
        return decided >= 0 ? decided : best;
    }

    private static int ArgMaxWithOffsets(ReadOnlySpan<float> scores, ReadOnlySpan<float> offsets)
    {
        var best = 0;
        for (var c = 1; c < scores.Length; c++)
        {
            if (scores[c] + offsets[c] > scores[best] + offsets[best])
                best = c;
        }
        return best;
    }

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
