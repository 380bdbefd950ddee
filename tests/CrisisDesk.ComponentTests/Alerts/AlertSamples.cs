using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Alerts;

namespace CrisisDesk.ComponentTests.Alerts;

/// <summary>Alerts built the way the composer builds them: through the form.</summary>
internal static class AlertSamples
{
    public static AlertForm Form(string headline = "Evacuate Lower Town now")
    {
        var form = new AlertForm();
        var info = form.Infos[0];
        info.Event = "River flooding";
        info.Headline = headline;
        info.Instruction = "Leave by the A59.";
        info.Areas[0].AreaDesc = "Lower Town";
        info.Areas[0].Polygons = "53.959,-1.0815 53.962,-1.07 53.955,-1.065 53.959,-1.0815";
        return form;
    }

    public static CapAlert Cap(string headline = "Evacuate Lower Town now", CapMsgType msgType = CapMsgType.Alert) =>
        (Form(headline).TryBuild(out var problems) ?? throw new InvalidOperationException(string.Join("; ", problems))) with { MsgType = msgType };

    public static AlertRecord Record(CapAlert cap, string state, params string[] editors) => new(
        7, 1, cap.Identifier, null, cap.MsgType.ToString(), cap.Status.ToString(), cap.Infos[0].Headline ?? "", CapXml.Write(cap), state,
        editors[0], editors, null, null, DateTime.UtcNow, DateTime.UtcNow, null);
}
