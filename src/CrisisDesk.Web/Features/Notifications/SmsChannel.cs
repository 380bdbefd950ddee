using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CrisisDesk.Web.Features.Publishing;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>Sends one SMS through a provider and returns the provider's message id. Provider-neutral.</summary>
public interface ISmsSender
{
    bool IsConfigured { get; }

    Task<string> SendAsync(string to, string text, CancellationToken cancellationToken);
}

/// <summary>
/// The Twilio Messages API as several providers speak it: POST /2010-04-01/Accounts/{sid}/Messages.json with a form
/// body To, From, Body, HTTP basic auth (account sid, auth token); 201 with the message's JSON (its <c>sid</c>).
/// 429 and 5xx are transient (a Retry-After is quoted in the reason); other refusals (21211 invalid number) are not.
/// </summary>
public sealed class TwilioSmsSender(IHttpClientFactory httpClients, IOptionsMonitor<SmsOptions> options) : ISmsSender
{
    public const string HttpClientName = "sms";

    public bool IsConfigured => options.CurrentValue.IsConfigured;

    public async Task<string> SendAsync(string to, string text, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var http = httpClients.CreateClient(HttpClientName);
        var url = new Uri(settings.BaseUrl!, $"2010-04-01/Accounts/{Uri.EscapeDataString(settings.AccountSid!)}/Messages.json");
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new FormUrlEncodedContent([new("To", to), new("From", settings.From ?? ""), new("Body", text)]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.AccountSid}:{settings.AuthToken}")));
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            var wait = response.Headers.RetryAfter?.Delta is { } delta ? $" (retry after {delta.TotalSeconds:0} s)" : "";
            throw new TransientDeliveryException($"the SMS provider is rate limiting (429){wait}");
        }
        await HttpOutcome.EnsureSuccessAsync(response, ChannelNames.Sms, cancellationToken);
        using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        return json.RootElement.TryGetProperty("sid", out var sid) && sid.GetString() is { Length: > 0 } id
            ? id
            : throw new PermanentDeliveryException("the SMS provider accepted the message but returned no sid");
    }
}

/// <summary>Sends a notification as an SMS: the title and the link, fitted to two segments.</summary>
public sealed class SmsChannel(ISmsSender sender, NotificationMessages messages) : IDeliveryChannel
{
    public string Name => ChannelNames.Sms;

    public bool IsConfigured => sender.IsConfigured;

    public async Task<string> SendAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        var message = await messages.ForAsync(work, cancellationToken);
        if (string.IsNullOrWhiteSpace(message.Phone))
            throw new PermanentDeliveryException("the person has no phone number any more");
        if (Contacts.PhoneProblem(message.Phone) is { } problem)
            throw new PermanentDeliveryException(problem);
        return await sender.SendAsync(message.Phone, message.SmsText(), cancellationToken);
    }
}
