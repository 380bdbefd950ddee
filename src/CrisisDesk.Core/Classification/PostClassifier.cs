namespace CrisisDesk.Core.Classification;

/// <summary>What a post is about and its mood, as stored with it.</summary>
/// <param name="Sentiment">VADER's compound score, −1..+1.</param>
public readonly record struct PostClassification(Informativeness Informativeness, InformationType InformationType, float Sentiment)
{
    /// <summary>"Related and informative": what CrisisLexT26 calls informative.</summary>
    public bool Informative => Informativeness == Informativeness.RelatedInformative;

    /// <summary>−1 negative, 0 neutral, +1 positive (VADER's ±0.05 band).</summary>
    public int Mood => VaderSentiment.Mood(Sentiment);
}

/// <summary>
/// Classifies a post's text: informativeness and information type from the two linear models over the same features,
/// sentiment by VADER. The models are trained on CrisisLexT26 (tools/CrisisDesk.Training). One instance per thread:
/// the featuriser reuses its buffers; the models and the lexicon are shared (the bundled two in one table,
/// <see cref="LinearClassifier.Interleave"/>).
/// </summary>
/// <param name="informativenessOffsets">Added to the informativeness model's class scores before the decision (the
/// threshold chosen in training, see docs/classification.md); null: the likeliest class.</param>
public sealed class PostClassifier(TextFeaturizer featurizer, LinearClassifier informativeness, LinearClassifier informationType, VaderSentiment sentiment,
    float[]? informativenessOffsets = null)
{
    private readonly FeatureVector _features = new();
    private readonly float[] _probabilities = new float[Math.Max(informativeness.Classes, informationType.Classes)];

    /// <summary>The same models with a featuriser of its own, for another thread.</summary>
    public PostClassifier ForAnotherThread() => new(new TextFeaturizer(featurizer.Options), informativeness, informationType, sentiment, informativenessOffsets);

    public PostClassification Classify(string text)
    {
        featurizer.Extract(text, _features);
        // Model classes are in code order: informativeness 0..2, types 1..6 (see CrisisLexLabels).
        var related = informativeness.Predict(_features, _probabilities, informativenessOffsets);
        var type = informationType.Predict(_features, _probabilities);
        return new PostClassification((Informativeness)related, (InformationType)(type + 1), (float)sentiment.Score(text));
    }
}
