using System.Collections.Concurrent;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Startup;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace CrisisDesk.Web.Features.Publishing;

/// <summary>
/// Sends what the outbox holds. Each channel has its own resilience pipeline (a timeout per call, jittered exponential
/// retries, a circuit breaker), so one platform being down neither delays nor trips the others. The receipt is
/// recorded after the channel answered; when a crash falls in between, the next dispatch sends again with the same
/// idempotency key (see docs/publishing.md for what each channel makes of that).
/// </summary>
public sealed class DeliveryDispatcher(
    DeliveryStore store,
    IEnumerable<IDeliveryChannel> channels,
    IOptions<PublishingOptions> options,
    PublicUrl publicUrl,
    DeliverySignal signal,
    ILogger<DeliveryDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 16;
    private readonly Dictionary<string, IDeliveryChannel> byName = channels.ToDictionary(c => c.Name, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ResiliencePipeline> pipelines = new(StringComparer.Ordinal);
    private PublishingOptions Settings => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await RunOnceAsync(stoppingToken) > 0)
                {
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The outbox keeps everything: what was not recorded is claimed again when its lease runs out.
                logger.LogError(e, "Delivery dispatch failed; pending deliveries stay in the outbox");
            }
            try
            {
                await signal.WaitAsync(Settings.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Claims and sends one batch of due deliveries; returns how many it claimed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var claimed = await store.ClaimDueAsync(BatchSize, Settings.Lease, cancellationToken);
        await Task.WhenAll(claimed.Select(d => DispatchAsync(d, cancellationToken)));
        return claimed.Count;
    }

    private async Task DispatchAsync(ClaimedDelivery delivery, CancellationToken cancellationToken)
    {
        string receipt;
        try
        {
            if (!byName.TryGetValue(delivery.Channel, out var channel) || !channel.IsConfigured)
                throw new PermanentDeliveryException($"the {ChannelNames.Label(delivery.Channel)} channel is not configured (CrisisDesk:Channels)");
            var work = ToWork(delivery);
            var call = 0;
            receipt = await Pipeline(channel.Name).ExecuteAsync(async ct =>
            {
                // A quick retry may follow a call that reached the channel: tell the channel it is not the first.
                var attempt = work with { Attempt = work.Attempt + call++ };
                return await channel.SendAsync(attempt, ct);
            }, cancellationToken);
        }
        catch (PermanentDeliveryException e)
        {
            logger.LogWarning("Delivery {Id} to {Channel} refused: {Reason}", delivery.Id, delivery.Channel, e.Message);
            await store.RecordFailedAsync(delivery, e.Message, permanent: true, Settings.MaxDispatches, Settings.RedispatchDelay, cancellationToken);
            return;
        }
        catch (Exception e) when (e is TransientDeliveryException or HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                                       || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = e switch
            {
                TimeoutRejectedException => $"no answer within {Settings.AttemptTimeout.TotalSeconds:0.#} s",
                BrokenCircuitException => $"{ChannelNames.Label(delivery.Channel)} is failing repeatedly; paused for {Settings.CircuitBreakDuration.TotalSeconds:0} s",
                _ => e.Message,
            };
            logger.LogWarning("Delivery {Id} to {Channel} failed for now: {Reason}", delivery.Id, delivery.Channel, reason);
            await store.RecordFailedAsync(delivery, reason, permanent: false, Settings.MaxDispatches, Settings.RedispatchDelay, cancellationToken);
            return;
        }
        await store.RecordSucceededAsync(delivery, receipt, cancellationToken);
        logger.LogInformation("Delivery {Id} to {Channel} succeeded", delivery.Id, delivery.Channel);
    }

    private DeliveryWork ToWork(ClaimedDelivery delivery)
    {
        string? text = null;
        if (ChannelNames.TextChannelOf(delivery.Channel) is { } textChannel)
        {
            if (delivery.CapXml is not null)
            {
                var alert = CapXml.Read(delivery.CapXml);
                text = SocialText.ForAlert(alert, CapAtomFeed.AlertUrl(publicUrl.Base, alert.Identifier), textChannel);
            }
            else
            {
                text = SocialText.ForRebuttal(delivery.Variant is { Length: > 0 } variant ? variant
                    : throw new PermanentDeliveryException($"the rebuttal has no {ChannelNames.Label(delivery.Channel)} text"), delivery.IsDrill);
            }
        }
        return new DeliveryWork
        {
            Id = delivery.Id,
            IncidentId = delivery.IncidentId,
            Channel = delivery.Channel,
            IdempotencyKey = delivery.IdempotencyKey,
            Attempt = delivery.Attempts,
            CreatedAt = DbTime.Utc(delivery.CreatedAt),
            AlertId = delivery.AlertId,
            AlertIdentifier = delivery.AlertIdentifier,
            CapXml = delivery.CapXml,
            RebuttalId = delivery.RebuttalId,
            NotificationId = delivery.NotificationId,
            Text = text,
        };
    }

    private ResiliencePipeline Pipeline(string channel) => pipelines.GetOrAdd(channel, _ =>
    {
        var transient = new PredicateBuilder()
            .Handle<TransientDeliveryException>()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>();
        var builder = new ResiliencePipelineBuilder();
        if (Settings.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = Settings.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = Settings.RetryBaseDelay,
            });
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = transient,
            FailureRatio = 0.5,
            MinimumThroughput = 4,
            SamplingDuration = TimeSpan.FromSeconds(60),
            BreakDuration = Settings.CircuitBreakDuration,
        });
        // A list sends to many people in one call: it times each recipient itself, not the whole list.
        if (!ChannelNames.IsList(channel))
            builder.AddTimeout(Settings.AttemptTimeout);
        return builder.Build();
    });
}
