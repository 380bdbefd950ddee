namespace CrisisDesk.Core.Classification;

/// <summary>
/// Per-feature multipliers applied to a post's (already normalised) feature values before a linear model reads them,
/// computed from the training posts only. Scaling feature f by s_f and learning weight w_f is the same model as weight
/// w_f·s_f on the unscaled feature (<see cref="LinearClassifier.Scaled"/>), so the product scores the folded weights and
/// never sees the scales; what the scales change is what the regularised trainer learns.
/// </summary>
public static class FeatureScales
{
    /// <summary>
    /// Naive Bayes log-count ratios (Wang and Manning 2012, NBSVM): for each feature, r = log((p/|p|₁)/(q/|q|₁)) with p
    /// (q) the number of positive (negative) posts holding the feature plus <paramref name="alpha"/>. Returned as
    /// |r|^<paramref name="power"/>, divided by its mean over the features the posts hold, so that the features'
    /// overall scale (and the meaning of the L2 regularisation) stays about the same. Features no post holds get 0.
    /// </summary>
    /// <param name="posts">Each post's feature indices (distinct) and whether it is positive.</param>
    public static float[] NaiveBayes(IEnumerable<(int[] Indices, bool Positive)> posts, int dimension, float alpha = 1f, float power = 1f)
    {
        var positive = new double[dimension];
        var negative = new double[dimension];
        foreach (var (indices, isPositive) in posts)
        {
            var counts = isPositive ? positive : negative;
            foreach (var f in indices)
                counts[f]++;
        }
        double p1 = 0, q1 = 0;
        for (var f = 0; f < dimension; f++)
        {
            p1 += positive[f] + alpha;
            q1 += negative[f] + alpha;
        }
        var scales = new float[dimension];
        double sum = 0;
        var seen = 0;
        for (var f = 0; f < dimension; f++)
        {
            if (positive[f] + negative[f] == 0)
                continue;
            var r = Math.Log((positive[f] + alpha) / p1) - Math.Log((negative[f] + alpha) / q1);
            var s = Math.Pow(Math.Abs(r), power);
            scales[f] = (float)s;
            sum += s;
            seen++;
        }
        return seen == 0 || sum == 0 ? scales : MeanToOne(scales, (float)(sum / seen));
    }

    /// <summary>
    /// How far each feature is spread over the training events: with share the largest fraction of the posts holding it
    /// that come from one event, the scale is min(1, (1 − share) / (1 − <paramref name="threshold"/>)): 1 for a feature
    /// spread over events at least as evenly as the threshold allows, falling to 0 for one only a single event has
    /// (its place names, its hashtags), so the model learns from what recurs across events. Features no post holds get 0.
    /// </summary>
    /// <param name="posts">Each post's feature indices (distinct) and its event (0-based).</param>
    /// <param name="hard">Instead, 0 for a feature whose share is at least the threshold and 1 otherwise.</param>
    public static float[] EventSpread(IEnumerable<(int[] Indices, int Event)> posts, int dimension, float threshold, bool hard = false)
    {
        var total = new int[dimension];
        var top = new int[dimension];
        var byEvent = new Dictionary<int, int[]>();
        foreach (var (indices, e) in posts)
        {
            if (!byEvent.TryGetValue(e, out var counts))
                byEvent[e] = counts = new int[dimension];
            foreach (var f in indices)
                counts[f]++;
        }
        foreach (var counts in byEvent.Values)
        {
            for (var f = 0; f < dimension; f++)
            {
                total[f] += counts[f];
                if (counts[f] > top[f])
                    top[f] = counts[f];
            }
        }
        var scales = new float[dimension];
        for (var f = 0; f < dimension; f++)
        {
            if (total[f] == 0)
                continue;
            var share = (double)top[f] / total[f];
            scales[f] = hard ? (share >= threshold ? 0f : 1f) : (float)Math.Min(1.0, (1 - share) / (1 - threshold));
        }
        return scales;
    }

    /// <summary>The element-wise product of two sets of scales.</summary>
    public static float[] Product(float[] a, float[] b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException("Scales of different dimensions.");
        var product = new float[a.Length];
        for (var f = 0; f < a.Length; f++)
            product[f] = a[f] * b[f];
        return product;
    }

    private static float[] MeanToOne(float[] scales, float mean)
    {
        for (var f = 0; f < scales.Length; f++)
            scales[f] /= mean;
        return scales;
    }
}
