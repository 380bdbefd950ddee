using System.Collections.Concurrent;
using CrisisDesk.Core.Classification;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Ingest.Classification;

/// <summary>
/// The pipeline's classification stage: informativeness, information type and sentiment for every post, stored with
/// it. Each source's pipeline runs it on a task of its own between normalisation and the batch write, so it overlaps the
/// database round trip instead of adding to it. The models are shared; each running stage holds its own classifier
/// (the featuriser reuses buffers), rented from a pool.
/// </summary>
public sealed class PostClassificationStage(ClassificationModel model)
{
    private readonly ConcurrentBag<PostClassifier> _pool = [];

    public ClassificationModel Model => model;

    /// <summary>A classifier for one thread's use until it is returned.</summary>
    public PostClassifier Rent() => _pool.TryTake(out var classifier) ? classifier : model.CreateClassifier();

    public void Return(PostClassifier classifier) => _pool.Add(classifier);

    /// <summary>The post's classification, or null for a deletion marker (no text to read).</summary>
    public static PostClassification? Classify(PostClassifier classifier, Post post) =>
        post.Text.Length == 0 && StreamPostMarkers.Read(post).Kind == PostMarkerKind.Deletion ? null : classifier.Classify(post.Text);
}
