namespace CrisisDesk.Core.Classification;

/// <summary>
/// A multiclass linear model (multinomial logistic regression): each class scores <c>w·x + b</c>, the probabilities are
/// their softmax. The weights come from an ML.NET maximum-entropy model (see <c>ClassificationModel</c> in
/// CrisisDesk.Ingest); scoring them here, over the sparse features, is the same arithmetic without ML.NET's per-call
/// machinery, and is safe to share between threads.
/// </summary>
public sealed class LinearClassifier
{
    // Class weights interleaved by feature (weights[feature * classes + class]): one feature's weights share a cache line.
    private readonly float[] _weights;
    private readonly float[] _biases;

    /// <param name="weights">Per class, a dense weight vector of <paramref name="dimension"/> entries.</param>
    public LinearClassifier(int dimension, IReadOnlyList<float[]> weights, IReadOnlyList<float> biases)
    {
        if (weights.Count != biases.Count || weights.Count < 2)
            throw new ArgumentException("A classifier needs a weight vector and a bias per class, and at least two classes.");
        Classes = weights.Count;
        Dimension = dimension;
        _biases = [.. biases];
        _weights = new float[dimension * Classes];
        for (var c = 0; c < Classes; c++)
        {
            if (weights[c].Length != dimension)
                throw new ArgumentException($"Class {c}'s weights have {weights[c].Length} entries, not {dimension}.");
            for (var f = 0; f < dimension; f++)
                _weights[(f * Classes) + c] = weights[c][f];
        }
    }

    public int Classes { get; }
    public int Dimension { get; }

    /// <summary>Writes each class's probability into <paramref name="probabilities"/> and returns the likeliest class.</summary>
    public int Predict(FeatureVector features, Span<float> probabilities)
    {
        var scores = probabilities[..Classes];
        _biases.CopyTo(scores);
        var weights = _weights.AsSpan();
        for (var i = 0; i < features.Count; i++)
        {
            var value = features.Values[i];
            var row = weights.Slice(features.Indices[i] * Classes, Classes);
            for (var c = 0; c < scores.Length; c++)
                scores[c] += row[c] * value;
        }
        var best = 0;
        var max = scores[0];
        for (var c = 1; c < scores.Length; c++)
        {
            if (scores[c] > max)
            {
                max = scores[c];
                best = c;
            }
        }
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
}
