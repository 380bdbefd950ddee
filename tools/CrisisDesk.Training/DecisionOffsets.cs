using CrisisDesk.Core.Classification;

namespace CrisisDesk.Training;

/// <summary>One post's gold class and the model's log-probabilities, as the offsets are tuned on them.</summary>
public sealed record Scored(int Gold, float[] LogProbabilities);

/// <summary>
/// Chooses the offsets added to a model's class scores before its decision (<c>LinearClassifier.Predict</c> with
/// offsets): adding a constant to one class's score is a threshold on its probability against the others. They are
/// chosen to maximise the macro-F1 the report measures, on predictions for events the model did not train on.
/// </summary>
public static class DecisionOffsets
{
    private const float Step = 0.02f;
    private const float Range = 3f;

    /// <summary>
    /// Informativeness: one offset, on <i>Related and informative</i> (the model's last class), maximising the macro-F1
    /// of informative against not (gold: 1 informative, 0 not). Ties go to the offset nearest 0.
    /// </summary>
    public static float[] TuneInformative(IReadOnlyList<Scored> rows)
    {
        // Informative is the model's last class (of three, or of two when it learns informative against not); it is
        // decided when its log-probability plus o beats every other's (Predict keeps the earlier class on a tie).
        var classes = rows.Count == 0 ? 3 : rows[0].LogProbabilities.Length;
        var informative = classes - 1;
        var margins = rows.Select(r => r.LogProbabilities[informative] - r.LogProbabilities[..informative].Max()).ToArray();
        var best = 0f;
        var bestF1 = double.MinValue;
        foreach (var o in Grid())
        {
            var confusion = new Confusion(2);
            for (var i = 0; i < rows.Count; i++)
                confusion.Add(rows[i].Gold, margins[i] + o > 0 ? 1 : 0);
            var f1 = confusion.MacroF1();
            if (f1 > bestF1 + 1e-12 || (Math.Abs(f1 - bestF1) <= 1e-12 && Math.Abs(o) < Math.Abs(best)))
                (best, bestF1) = (o, f1);
        }
        var offsets = new float[classes];
        offsets[informative] = best;
        return offsets;
    }

    private static IEnumerable<float> Grid()
    {
        var steps = (int)Math.Round(Range / Step);
        for (var i = -steps; i <= steps; i++)
            yield return i * Step;
    }
}
