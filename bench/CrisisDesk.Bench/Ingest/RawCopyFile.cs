using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Bench.Ingest;

/// <summary>
/// The posts as rows of <c>posts</c> (every column but the generated id) in a file for <c>psql \copy</c>:
/// PostgreSQL's binary COPY format (what the pipeline itself sends) or CSV.
/// </summary>
internal sealed class RawCopyFile : IDisposable
{
    public const string Columns = "incident_id, source_id, platform, external_id, created_at, received_at, author_handle, author_name, text, url, lang, has_media, extra";
    private const int ColumnCount = 13;
    private static readonly byte[] Signature = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0];
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    private readonly Stream _stream;
    private readonly bool _binary;
    private readonly int _incidentId;
    private readonly int _sourceId;
    private readonly DateTimeOffset _receivedAt;
    private readonly byte[] _scratch = new byte[8];

    public RawCopyFile(string path, bool binary, int incidentId, int sourceId, DateTimeOffset receivedAt)
    {
        Path = path;
        _binary = binary;
        _incidentId = incidentId;
        _sourceId = sourceId;
        _receivedAt = receivedAt;
        _stream = new BufferedStream(File.Create(path), 1 << 20);
        if (_binary)
        {
            _stream.Write(Signature);
            WriteInt32(0); // flags: no OIDs
            WriteInt32(0); // header extension length
        }
    }

    public string Path { get; }

    public long Rows { get; private set; }

    /// <summary>The option list for <c>\copy … WITH (…)</c>.</summary>
    public string CopyOptions => _binary ? "FORMAT binary" : "FORMAT csv";

    public void Write(Post post)
    {
        Rows++;
        if (_binary)
            WriteBinaryRow(post);
        else
            WriteCsvRow(post);
    }

    private void WriteBinaryRow(Post post)
    {
        BinaryPrimitives.WriteInt16BigEndian(_scratch, ColumnCount);
        _stream.Write(_scratch, 0, 2);
        WriteInt32Field(_incidentId);
        WriteInt32Field(_sourceId);
        WriteText(post.Platform);
        WriteText(post.ExternalId);
        WriteTimestamp(post.CreatedAt);
        WriteTimestamp(_receivedAt);
        WriteText(post.AuthorHandle);
        WriteText(post.AuthorName);
        WriteText(post.Text);
        WriteText(post.Url);
        WriteText(post.Language);
        WriteInt32(1);
        _stream.WriteByte(post.HasMedia ? (byte)1 : (byte)0);
        WriteText(post.Extra, jsonb: true);
    }

    private void WriteInt32Field(int value)
    {
        WriteInt32(4);
        WriteInt32(value);
    }

    private void WriteTimestamp(DateTimeOffset value)
    {
        WriteInt32(8);
        BinaryPrimitives.WriteInt64BigEndian(_scratch, (value.UtcTicks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond);
        _stream.Write(_scratch, 0, 8);
    }

    private void WriteText(string? value, bool jsonb = false)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteInt32(bytes.Length + (jsonb ? 1 : 0));
        if (jsonb)
            _stream.WriteByte(1); // jsonb binary format version
        _stream.Write(bytes);
    }

    private void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_scratch, value);
        _stream.Write(_scratch, 0, 4);
    }

    private void WriteCsvRow(Post post)
    {
        var line = new StringBuilder(512);
        line.Append(_incidentId.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(_sourceId.ToString(CultureInfo.InvariantCulture)).Append(',');
        Csv(line, post.Platform).Append(',');
        Csv(line, post.ExternalId).Append(',');
        line.Append(post.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff+00", CultureInfo.InvariantCulture)).Append(',');
        line.Append(_receivedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff+00", CultureInfo.InvariantCulture)).Append(',');
        Csv(line, post.AuthorHandle).Append(',');
        Csv(line, post.AuthorName).Append(',');
        Csv(line, post.Text).Append(',');
        Csv(line, post.Url).Append(',');
        Csv(line, post.Language).Append(',');
        line.Append(post.HasMedia ? "t" : "f").Append(',');
        Csv(line, post.Extra).Append('\n');
        _stream.Write(Encoding.UTF8.GetBytes(line.ToString()));
    }

    /// <summary>Quoted, so that an empty string stays distinct from NULL (an unquoted empty field).</summary>
    private static StringBuilder Csv(StringBuilder line, string? value) =>
        value is null ? line : line.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');

    public void Complete()
    {
        if (_binary)
        {
            BinaryPrimitives.WriteInt16BigEndian(_scratch, -1);
            _stream.Write(_scratch, 0, 2);
        }
        _stream.Flush();
    }

    public void Dispose() => _stream.Dispose();
}
