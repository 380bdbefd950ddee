namespace CrisisDesk.Web.Components.Theme;

/// <summary>
/// Which palette to paint first. The user's choice lives in a cookie (set by app.js when they switch), so the server
/// renders the right palette at first paint, with no flash; with no choice stored, the browser's
/// prefers-color-scheme client hint decides; with neither, the layout asks the browser once it is interactive.
/// </summary>
public static class ThemePreference
{
    public const string CookieName = "crisisdesk.theme";

    /// <summary>The client hint that carries prefers-color-scheme (Chromium sends it when asked by Accept-CH).</summary>
    public const string ColorSchemeHint = "Sec-CH-Prefers-Color-Scheme";

    /// <summary>True for dark, false for light, null when neither the user nor the browser said.</summary>
    public static bool? Read(HttpContext? context)
    {
        if (context is null)
            return null;
        var chosen = Parse(context.Request.Cookies[CookieName]);
        return chosen ?? Parse(context.Request.Headers[ColorSchemeHint].ToString().Trim('"'));
    }

    public static bool? Parse(string? value) => value switch
    {
        "dark" => true,
        "light" => false,
        _ => null,
    };

    /// <summary>Asks Chromium for the colour-scheme hint on pages, and to retry the first request with it.</summary>
    public static void AskForColorSchemeHint(HttpResponse response)
    {
        response.Headers["Accept-CH"] = ColorSchemeHint;
        response.Headers["Critical-CH"] = ColorSchemeHint;
        response.Headers.Append("Vary", ColorSchemeHint);
    }
}

/// <summary>The palette the server painted the page with; cascaded to the interactive layout so it starts the same.</summary>
public sealed record InitialTheme(bool? Dark);
