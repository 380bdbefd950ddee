using CrisisDesk.Core.Classification;

namespace CrisisDesk.UnitTests.Classification;

/// <summary>Real CrisisLexT26 tweets (MIT, tools/CrisisDesk.Training/Data) with their crowd labels.</summary>
internal static class LabelledPostData
{
    public static TheoryData<string, InformationType, bool> Posts => new()
    {
        { "RT @nytimes: Bangladesh Collapse Death Toll Passes 1,000 http://t.co/q2Vfc1ewIV", InformationType.AffectedIndividuals, true },
        { "New York Train Crash Kills Four, Leaves 67 Injured Today http://t.co/UpP20SjoZb", InformationType.AffectedIndividuals, true },
        { "RT @WSJ: Breaking: A Metro-North passenger train has derailed in New York City.  http://t.co/fl6ywO6Uvj", InformationType.InfrastructureAndUtilities, true },
        { "Bacoor - Main Road (Talaba to Bayan/Poblacion - Ankle to knee deep #FloodPH", InformationType.InfrastructureAndUtilities, true },
        { "How to assist Colorado wildfire victims, how to donate and help - The Denver Post http://t.co/37k1YBXl", InformationType.DonationsAndVolunteering, true },
        { "Know how YOU can help the victims of Typhoon Maring/Habagat here: http://t.co/afI4JR1KS5 #ReliefPH", InformationType.DonationsAndVolunteering, true },
        { "RT @STcom: #SGHaze update: PSI is 190 at 8pm @NEAsg", InformationType.CautionAndAdvice, true },
        { "UPDATE: Forecast track for #PabloPH http://t.co/7PUw2XPv", InformationType.CautionAndAdvice, true },
        { "Dzohkhar Tsarnaev CHARGED In Boston Bombings While He Lay In His Hospital Bed http://t.co/cpcRAzvr46 via @HuffPostCrime", InformationType.OtherUsefulInformation, true },
        { "RT @USFWSHQ: We're reading @latimes: Colorado wildfire could burn all summer, officials fear http://t.co/hKuBfAU1", InformationType.OtherUsefulInformation, true },
    };
}
