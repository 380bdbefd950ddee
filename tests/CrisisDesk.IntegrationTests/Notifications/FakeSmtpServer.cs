using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CrisisDesk.IntegrationTests.Notifications;

/// <summary>One message as the fake SMTP server received it.</summary>
public sealed record ReceivedMail(string? AuthenticatedAs, string MailFrom, IReadOnlyList<string> RcptTo, string Data);

/// <summary>
/// An SMTP server for tests, over a real TCP socket on 127.0.0.1, speaking RFC 5321 as a relay does: greeting, EHLO
/// (advertising AUTH PLAIN LOGIN), AUTH PLAIN (inline or after 334) and AUTH LOGIN, MAIL FROM, RCPT TO, DATA with
/// dot-unstuffing, RSET, NOOP, QUIT. It demands AUTH before MAIL. <see cref="Stop"/> closes the port (unreachable);
/// <see cref="Start"/> listens again on the same port.
/// </summary>
public sealed class FakeSmtpServer : IAsyncDisposable
{
    public const string UserName = "crisisdesk";
    public const string Password = "smtp-test-password";

    private TcpListener? _listener;
    private CancellationTokenSource _stop = new();
    private Task _accepting = Task.CompletedTask;

    public int Port { get; private set; }

    public ConcurrentQueue<ReceivedMail> Messages { get; } = new();

    /// <summary>
    /// When set, a MAIL command that arrives once this many messages are accepted is never answered; the server waits
    /// for the client to go away (<see cref="Holding"/> completes when it arrives).
    /// </summary>
    public int? HoldAfterMessages;

    public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// When set, the message that brings the count to this number is accepted (kept) but its 250 is never sent: the
    /// server waits for the client to go away (<see cref="Holding"/> completes). The sender cannot know it went.
    /// </summary>
    public int? AcceptWithoutAnswerAt;

    /// <summary>Called with each message as it is accepted (before its 250 goes out): the delivery bench times it.</summary>
    public Action<ReceivedMail>? OnAccepted { get; set; }

    /// <summary>How many of the next DATA commands answer 451 (a transient refusal).</summary>
    public int TransientFailuresToServe;

    public static FakeSmtpServer Create()
    {
        var server = new FakeSmtpServer();
        server.Start();
        return server;
    }

    public void Start()
    {
        _stop = new CancellationTokenSource();
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync(_listener, _stop.Token);
    }

    public void Stop()
    {
        _stop.Cancel();
        _listener?.Stop();
        _listener = null;
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ServeAsync(client, cancellationToken);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using var _ = client;
        try
        {
            await using var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            string? user = null;
            string? from = null;
            var rcpt = new List<string>();
            await writer.WriteLineAsync("220 fake-smtp.test ESMTP ready");
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                var argument = line.Length > verb.Length ? line[(verb.Length + 1)..] : "";
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteAsync("250-fake-smtp.test\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n");
                        break;
                    case "HELO":
                        await writer.WriteLineAsync("250 fake-smtp.test");
                        break;
                    case "AUTH":
                    {
                        var parts = argument.Split(' ', 2);
                        string? givenUser, givenPassword;
                        if (parts[0].Equals("PLAIN", StringComparison.OrdinalIgnoreCase))
                        {
                            var response = parts.Length > 1 ? parts[1] : await AskAsync(writer, reader, "", cancellationToken);
                            var fields = Encoding.UTF8.GetString(Convert.FromBase64String(response)).Split('\0');
                            (givenUser, givenPassword) = fields.Length == 3 ? (fields[1], fields[2]) : (null, null);
                        }
                        else if (parts[0].Equals("LOGIN", StringComparison.OrdinalIgnoreCase))
                        {
                            givenUser = Decode(await AskAsync(writer, reader, "VXNlcm5hbWU6", cancellationToken));
                            givenPassword = Decode(await AskAsync(writer, reader, "UGFzc3dvcmQ6", cancellationToken));
                        }
                        else
                        {
                            await writer.WriteLineAsync("504 5.5.4 Unrecognized authentication type");
                            break;
                        }
                        if (givenUser == UserName && givenPassword == Password)
                        {
                            user = givenUser;
                            await writer.WriteLineAsync("235 2.7.0 Authentication successful");
                        }
                        else
                        {
                            await writer.WriteLineAsync("535 5.7.8 Authentication credentials invalid");
                        }
                        break;
                    }
                    case "MAIL":
                        if (HoldAfterMessages is { } hold && Messages.Count >= hold)
                        {
                            Holding.TrySetResult();
                            await reader.ReadLineAsync(cancellationToken);
                            return;
                        }
                        if (user is null)
                        {
                            await writer.WriteLineAsync("530 5.7.0 Authentication required");
                            break;
                        }
                        from = Address(argument);
                        rcpt.Clear();
                        await writer.WriteLineAsync("250 2.1.0 Ok");
                        break;
                    case "RCPT":
                        if (from is null)
                        {
                            await writer.WriteLineAsync("503 5.5.1 Need MAIL first");
                            break;
                        }
                        rcpt.Add(Address(argument));
                        await writer.WriteLineAsync("250 2.1.5 Ok");
                        break;
                    case "DATA":
                    {
                        if (rcpt.Count == 0)
                        {
                            await writer.WriteLineAsync("503 5.5.1 Need RCPT first");
                            break;
                        }
                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(cancellationToken) is { } dataLine && dataLine != ".")
                            data.Append(dataLine.StartsWith("..", StringComparison.Ordinal) ? dataLine[1..] : dataLine).Append("\r\n");
                        if (Interlocked.Decrement(ref TransientFailuresToServe) >= 0)
                        {
                            await writer.WriteLineAsync("451 4.3.0 Try again later");
                        }
                        else
                        {
                            var mail = new ReceivedMail(user, from!, rcpt.ToList(), data.ToString());
                            Messages.Enqueue(mail);
                            OnAccepted?.Invoke(mail);
                            if (AcceptWithoutAnswerAt is { } silentAt && Messages.Count == silentAt)
                            {
                                Holding.TrySetResult();
                                await reader.ReadLineAsync(cancellationToken);
                                return;
                            }
                            await writer.WriteLineAsync($"250 2.0.0 Ok: queued as {Messages.Count}");
                        }
                        from = null;
                        rcpt.Clear();
                        break;
                    }
                    case "RSET":
                        from = null;
                        rcpt.Clear();
                        await writer.WriteLineAsync("250 2.0.0 Ok");
                        break;
                    case "NOOP":
                        await writer.WriteLineAsync("250 2.0.0 Ok");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 2.0.0 Bye");
                        return;
                    default:
                        await writer.WriteLineAsync("502 5.5.2 Command not recognized");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or FormatException)
        {
            // The client went away or the server stopped.
        }
    }

    private static async Task<string> AskAsync(StreamWriter writer, StreamReader reader, string challenge, CancellationToken cancellationToken)
    {
        await writer.WriteLineAsync("334 " + challenge);
        return await reader.ReadLineAsync(cancellationToken) ?? "";
    }

    private static string Decode(string base64) => Encoding.UTF8.GetString(Convert.FromBase64String(base64));

    private static string Address(string argument)
    {
        var start = argument.IndexOf('<', StringComparison.Ordinal);
        var end = argument.IndexOf('>', StringComparison.Ordinal);
        return start >= 0 && end > start ? argument[(start + 1)..end] : argument;
    }

    public async ValueTask DisposeAsync()
    {
        Stop();
        await _accepting;
    }
}
