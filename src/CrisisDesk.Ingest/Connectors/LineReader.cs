namespace CrisisDesk.Ingest.Connectors;

/// <summary>One line read from a stream, without its line ending. <see cref="Oversized"/> lines were cut past the limit.</summary>
internal readonly record struct StreamLine(byte[] Bytes, bool Oversized)
{
    public bool IsEmpty => Bytes.Length == 0;
}

/// <summary>Raised when nothing, not even a keep-alive, arrived within the keep-alive timeout.</summary>
internal sealed class StreamIdleException(TimeSpan timeout)
    : TimeoutException($"no data or keep-alive for {timeout.TotalSeconds:0.###} s");

/// <summary>
/// Reads LF- or CRLF-terminated lines from a long-lived response body, with a cap on line length (a longer line is
/// kept up to the cap plus one byte, the rest discarded) and an idle timeout that restarts whenever bytes arrive.
/// A connection that closes in the middle of a line throws: the partial frame is not a post and will be re-delivered.
/// </summary>
internal sealed class LineReader(Stream stream, int maxLineBytes, TimeSpan idleTimeout) : IDisposable
{
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly MemoryStream _line = new();
    private int _start;
    private int _end;
    private CancellationTokenSource? _idle;

    public async ValueTask<StreamLine?> ReadLineAsync(CancellationToken cancellationToken)
    {
        _line.SetLength(0);
        var oversized = false;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            var stop = newline >= 0 ? newline : _end;
            oversized |= Append(_start, stop - _start);
            if (newline >= 0)
            {
                _start = newline + 1;
                var bytes = _line.ToArray();
                if (!oversized && bytes.Length > 0 && bytes[^1] == (byte)'\r')
                {
                    Array.Resize(ref bytes, bytes.Length - 1);
                }
                return new StreamLine(bytes, oversized);
            }
            _start = _end = 0;
            int read;
            try
            {
                read = await ReadWithIdleTimeoutAsync(cancellationToken);
            }
            catch (IOException ex) when (_line.Length > 0)
            {
                throw new IOException($"connection lost in the middle of a frame ({_line.Length} bytes discarded): {ex.Message}", ex);
            }
            if (read == 0)
            {
                if (_line.Length > 0)
                {
                    throw new IOException($"connection closed in the middle of a frame ({_line.Length} bytes discarded)");
                }
                return null;
            }
            _end = read;
        }
    }

    private bool Append(int offset, int count)
    {
        var room = maxLineBytes + 1 - (int)_line.Length;
        if (count <= room)
        {
            _line.Write(_buffer, offset, count);
            return false;
        }
        if (room > 0)
        {
            _line.Write(_buffer, offset, room);
        }
        return true;
    }

    private async ValueTask<int> ReadWithIdleTimeoutAsync(CancellationToken cancellationToken)
    {
        _idle ??= CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _idle.CancelAfter(idleTimeout);
        try
        {
            return await stream.ReadAsync(_buffer, _idle.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StreamIdleException(idleTimeout);
        }
    }

    public void Dispose()
    {
        _idle?.Dispose();
        _line.Dispose();
    }
}
