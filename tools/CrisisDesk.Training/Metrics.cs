namespace CrisisDesk.Training;

/// <summary>A confusion matrix over <c>classes</c> labels (gold by row, predicted by column).</summary>
public sealed class Confusion(int classes)
{
    private readonly int[,] _counts = new int[classes, classes];

    public int Classes => classes;
    public int Total { get; private set; }

    public void Add(int gold, int predicted)
    {
        _counts[gold, predicted]++;
        Total++;
    }

    public void Add(Confusion other)
    {
        for (var g = 0; g < classes; g++)
        {
            for (var p = 0; p < classes; p++)
                _counts[g, p] += other._counts[g, p];
        }
        Total += other.Total;
    }

    public int Support(int c)
    {
        var n = 0;
        for (var p = 0; p < classes; p++)
            n += _counts[c, p];
        return n;
    }

    public int Predicted(int c)
    {
        var n = 0;
        for (var g = 0; g < classes; g++)
            n += _counts[g, c];
        return n;
    }

    /// <summary>F1 of one class (0 when it has neither support nor predictions).</summary>
    public double F1(int c)
    {
        var tp = _counts[c, c];
        var support = Support(c);
        var predicted = Predicted(c);
        return support + predicted == 0 ? 0 : 2.0 * tp / (support + predicted);
    }

    /// <summary>
    /// Macro-F1 over the classes that occur in the gold labels or the predictions (scikit-learn's default): a class an
    /// event never has and the model never predicts there does not count; one it predicts wrongly counts as 0.
    /// </summary>
    public double MacroF1()
    {
        var sum = 0.0;
        var n = 0;
        for (var c = 0; c < classes; c++)
        {
            if (Support(c) + Predicted(c) == 0)
                continue;
            sum += F1(c);
            n++;
        }
        return n == 0 ? 0 : sum / n;
    }

    public double Accuracy()
    {
        var right = 0;
        for (var c = 0; c < classes; c++)
            right += _counts[c, c];
        return Total == 0 ? 0 : (double)right / Total;
    }
}

public static class Statistics
{
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var n = x.Count;
        double mx = 0, my = 0;
        for (var i = 0; i < n; i++)
        {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            var dx = x[i] - mx;
            var dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxy / Math.Sqrt(sxx * syy);
    }
}
