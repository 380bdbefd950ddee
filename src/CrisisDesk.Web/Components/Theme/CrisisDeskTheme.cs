using MudBlazor;

namespace CrisisDesk.Web.Components.Theme;

/// <summary>
/// The one theme of the app: a light palette for the day and a dark one for night shifts. Every text colour is at least
/// 4.5:1 against the surface it sits on (the page-check tests run axe-core over each page in both). System fonts only:
/// the machines this runs on may be offline.
/// </summary>
public static class CrisisDeskTheme
{
    private static readonly string[] SystemFonts =
        ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "Helvetica Neue", "Arial", "sans-serif"];

    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f4fbf",
            PrimaryContrastText = "#ffffff",
            Secondary = "#a3261e",
            SecondaryContrastText = "#ffffff",
            Tertiary = "#5b3fa6",
            Info = "#0b5cad",
            Success = "#1e6b34",
            Warning = "#8f5200",
            WarningContrastText = "#ffffff",
            Error = "#b3261e",
            Dark = "#1f2328",
            TextPrimary = "#1f2328",
            TextSecondary = "#4d5560",
            ActionDefault = "#4d5560",
            Background = "#f5f6f8",
            BackgroundGray = "#eceef1",
            Surface = "#ffffff",
            AppbarBackground = "#1f2328",
            AppbarText = "#ffffff",
            DrawerBackground = "#ffffff",
            DrawerText = "#1f2328",
            DrawerIcon = "#4d5560",
            LinesDefault = "#d9dde3",
            TableLines = "#d9dde3",
            Divider = "#d9dde3",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8ab4f8",
            PrimaryContrastText = "#0b1a33",
            Secondary = "#f2b8b5",
            SecondaryContrastText = "#3b0a08",
            Tertiary = "#c9b6ff",
            TertiaryContrastText = "#21104d",
            Info = "#8ab4f8",
            InfoContrastText = "#0b1a33",
            Success = "#7fd69a",
            SuccessContrastText = "#0a2912",
            Warning = "#f5c26b",
            WarningContrastText = "#2e1d00",
            Error = "#f2b8b5",
            ErrorContrastText = "#3b0a08",
            Dark = "#2a2e35",
            TextPrimary = "#e8eaed",
            TextSecondary = "#b4bac3",
            ActionDefault = "#c4c9d0",
            Background = "#121417",
            BackgroundGray = "#181b1f",
            Surface = "#1c1f24",
            AppbarBackground = "#1c1f24",
            AppbarText = "#e8eaed",
            DrawerBackground = "#16181c",
            DrawerText = "#e8eaed",
            DrawerIcon = "#c4c9d0",
            LinesDefault = "#3a3f47",
            LinesInputs = "#8a919b",
            TableLines = "#3a3f47",
            Divider = "#3a3f47",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = SystemFonts },
            H1 = new H1Typography { FontFamily = SystemFonts, FontSize = "1.6rem", FontWeight = "600", LineHeight = "1.25", LetterSpacing = "0" },
            H2 = new H2Typography { FontFamily = SystemFonts, FontSize = "1.25rem", FontWeight = "600", LineHeight = "1.3", LetterSpacing = "0" },
            Button = new ButtonTypography { FontFamily = SystemFonts, TextTransform = "none", FontWeight = "600" },
            H3 = new H3Typography { FontFamily = SystemFonts, FontSize = "1.1rem", FontWeight = "600", LineHeight = "1.3", LetterSpacing = "0" },
        },
    };
}
