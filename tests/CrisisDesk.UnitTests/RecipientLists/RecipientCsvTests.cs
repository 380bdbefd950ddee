using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Web.Features.RecipientLists;

namespace CrisisDesk.UnitTests.RecipientLists;

public sealed class RecipientCsvTests
{
    [Fact]
    public void A_quoted_field_over_two_lines_keeps_the_line_numbers_of_the_rows_after_it_true_to_the_file()
    {
        var reading = RecipientCsv.Read("\uFEFFname,email\r\n\"Ann\r\nJones\",ann@example.org\r\nBob,bob@\r\n", RecipientListKinds.Email);

        var ann = Assert.Single(reading.Recipients);
        Assert.Equal(("Ann\r\nJones", "ann@example.org", 2), (ann.Name, ann.Address, ann.Line));
        var bob = Assert.Single(reading.Rejected);
        Assert.Equal((4, "bob@"), (bob.Line, bob.Value));
    }

    [Fact]
    public void Without_a_header_one_column_is_the_address_and_two_are_name_then_address()
    {
        Assert.Equal("+447700900123", Assert.Single(RecipientCsv.Read("+44 (0)7700 900123".Replace("(0)", "", StringComparison.Ordinal), RecipientListKinds.Sms).Recipients).Address);
        var two = Assert.Single(RecipientCsv.Read("Ann,0044 7700 900123", RecipientListKinds.Sms).Recipients);
        Assert.Equal(("Ann", "+447700900123", 1), (two.Name, two.Address, two.Line));
    }

    [Fact]
    public void A_header_without_an_address_column_is_reported_and_nothing_is_taken()
    {
        var reading = RecipientCsv.Read("name,email\nAnn,ann@example.org", RecipientListKinds.Sms);

        Assert.Empty(reading.Recipients);
        Assert.Contains("no phone column", Assert.Single(reading.Rejected).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("07700 900123", "not in international form")]
    [InlineData("+0 7700 900123", "E.164")]
    [InlineData("+44 7700 900123 ext 4", "E.164")]
    [InlineData("", "no phone number")]
    public void Numbers_that_cannot_be_written_in_E164_are_refused_with_the_reason(string number, string reason)
    {
        var (address, problem) = RecipientCsv.Check(number, RecipientListKinds.Sms);

        Assert.Null(address);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_alerts_list_sms_is_built_like_its_social_post_and_fits_three_segments()
    {
        var alert = new CapAlert
        {
            Identifier = "urn:test:1",
            Sender = "alerts@example.gov",
            Sent = DateTimeOffset.UnixEpoch,
            Status = CapStatus.Exercise,
            MsgType = CapMsgType.Alert,
            Scope = CapScope.Public,
            Infos =
            [
                new CapInfo
                {
                    Categories = [CapCategory.Met],
                    Event = "Flood",
                    Urgency = CapUrgency.Immediate,
                    Severity = CapSeverity.Severe,
                    Certainty = CapCertainty.Observed,
                    Headline = "Evacuate Lower Town now",
                    Instruction = string.Join(' ', Enumerable.Repeat("Leave by the high road and do not cross the bridge.", 20)),
                    Areas = [new CapArea { AreaDesc = "Lower Town" }],
                },
            ],
        };

        var message = ListMessages.ForAlert(alert, new Uri("https://alerts.example.gov/cap/alerts/1"));

        Assert.StartsWith("[EXERCISE] Evacuate Lower Town now", message.SmsText, StringComparison.Ordinal);
        Assert.EndsWith(" https://alerts.example.gov/cap/alerts/1", message.SmsText, StringComparison.Ordinal);
        var length = ChannelText.Count(TextChannel.Sms, message.SmsText);
        Assert.True(length.Fits && length.Segments <= 3, $"{length.Segments} segments");
        Assert.Equal("[EXERCISE] Evacuate Lower Town now", message.Subject);
        Assert.Contains("Where: Lower Town", message.EmailBody, StringComparison.Ordinal);
    }
}
