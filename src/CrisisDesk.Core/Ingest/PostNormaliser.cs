using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Ingest;

/// <summary>The outcome of normalising one raw item: a post, nothing to store (a keep-alive, a delete of something never seen), or a quarantine reason.</summary>
public readonly record struct NormaliseResult(Post? Post, string? Error)
{
    public static NormaliseResult Ok(Post post) => new(post, null);
    public static NormaliseResult Malformed(string reason) => new(null, reason);
    public static readonly NormaliseResult Nothing = new(null, null);
    public bool IsMalformed => Error is not null;
}

/// <summary>Turns one raw payload of a given format into a <see cref="Post"/>. Pure and thread-safe.</summary>
public interface IPostNormaliser
{
    string Format { get; }
    NormaliseResult Normalise(ReadOnlySpan<byte> payload);
}
