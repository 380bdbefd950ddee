using CrisisDesk.Core.Classification;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>The war room's words for what the classifier read: CrisisLexT26's names, and the mood of a sentiment score.</summary>
public static class ClassificationLabels
{
    /// <summary>The type's name as CrisisLexT26 writes it.</summary>
    public static string Type(InformationType type) => CrisisLexLabels.Name(type);

    /// <summary>For a menu of filters: "… only".</summary>
    public static string TypeOnly(InformationType type) => CrisisLexLabels.Name(type) + " only";

    public static string Informativeness(Informativeness value) => CrisisLexLabels.Name(value);

    public static string Mood(float sentiment) => VaderSentiment.Mood(sentiment) switch
    {
        > 0 => "positive",
        < 0 => "negative",
        _ => "neutral",
    };

    /// <summary>A CSS-safe name per type, for its colour on a card.</summary>
    public static string TypeClass(InformationType type) => type switch
    {
        InformationType.AffectedIndividuals => "affected",
        InformationType.InfrastructureAndUtilities => "infrastructure",
        InformationType.DonationsAndVolunteering => "donations",
        InformationType.CautionAndAdvice => "caution",
        InformationType.SympathyAndSupport => "sympathy",
        _ => "other",
    };
}
