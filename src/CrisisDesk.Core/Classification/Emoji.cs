using System.Text;

namespace CrisisDesk.Core.Classification;

/// <summary>
/// VADER reads an emoji as its Unicode name ("😢" as "crying face"), whose words the lexicon then scores. These are the
/// Unicode (CLDR) short names of the emoji common in crisis posts: faces, hearts, hands, warnings, weather. An emoji not
/// listed is left as it is and scores nothing, as an unknown word does.
/// </summary>
public static class Emoji
{
    private static readonly Dictionary<int, string> Names = new()
    {
        [0x1F600] = "grinning face", [0x1F603] = "grinning face with big eyes", [0x1F604] = "grinning face with smiling eyes",
        [0x1F601] = "beaming face with smiling eyes", [0x1F606] = "grinning squinting face", [0x1F605] = "grinning face with sweat",
        [0x1F923] = "rolling on the floor laughing", [0x1F602] = "face with tears of joy", [0x1F642] = "slightly smiling face",
        [0x1F643] = "upside-down face", [0x1F609] = "winking face", [0x1F60A] = "smiling face with smiling eyes",
        [0x1F607] = "smiling face with halo", [0x1F970] = "smiling face with hearts", [0x1F60D] = "smiling face with heart-eyes",
        [0x1F618] = "face blowing a kiss", [0x1F60B] = "face savoring food", [0x1F61B] = "face with tongue",
        [0x1F914] = "thinking face", [0x1F610] = "neutral face", [0x1F611] = "expressionless face", [0x1F636] = "face without mouth",
        [0x1F60F] = "smirking face", [0x1F612] = "unamused face", [0x1F644] = "face with rolling eyes", [0x1F62C] = "grimacing face",
        [0x1F60C] = "relieved face", [0x1F614] = "pensive face", [0x1F62A] = "sleepy face", [0x1F634] = "sleeping face",
        [0x1F637] = "face with medical mask", [0x1F912] = "face with thermometer", [0x1F915] = "face with head-bandage",
        [0x1F922] = "nauseated face", [0x1F92E] = "face vomiting", [0x1F635] = "dizzy face", [0x1F92F] = "exploding head",
        [0x1F60E] = "smiling face with sunglasses", [0x1F615] = "confused face", [0x1F61F] = "worried face",
        [0x1F641] = "slightly frowning face", [0x2639] = "frowning face", [0x1F62E] = "face with open mouth",
        [0x1F632] = "astonished face", [0x1F633] = "flushed face", [0x1F97A] = "pleading face", [0x1F626] = "frowning face with open mouth",
        [0x1F627] = "anguished face", [0x1F628] = "fearful face", [0x1F630] = "anxious face with sweat",
        [0x1F625] = "sad but relieved face", [0x1F622] = "crying face", [0x1F62D] = "loudly crying face",
        [0x1F631] = "face screaming in fear", [0x1F616] = "confounded face", [0x1F623] = "persevering face",
        [0x1F61E] = "disappointed face", [0x1F613] = "downcast face with sweat", [0x1F629] = "weary face", [0x1F62B] = "tired face",
        [0x1F624] = "face with steam from nose", [0x1F621] = "pouting face", [0x1F620] = "angry face",
        [0x1F92C] = "face with symbols on mouth", [0x1F608] = "smiling face with horns", [0x1F480] = "skull",
        [0x2620] = "skull and crossbones", [0x1F494] = "broken heart", [0x2764] = "red heart", [0x1F9E1] = "orange heart",
        [0x1F49B] = "yellow heart", [0x1F49A] = "green heart", [0x1F499] = "blue heart", [0x1F49C] = "purple heart",
        [0x1F5A4] = "black heart", [0x1F495] = "two hearts", [0x1F496] = "sparkling heart", [0x1F497] = "growing heart",
        [0x1F498] = "heart with arrow", [0x1F49D] = "heart with ribbon", [0x1F49E] = "revolving hearts",
        [0x1F64F] = "folded hands", [0x1F44D] = "thumbs up", [0x1F44E] = "thumbs down", [0x1F44F] = "clapping hands",
        [0x1F64C] = "raising hands", [0x1F91D] = "handshake", [0x1F4AA] = "flexed biceps", [0x270C] = "victory hand",
        [0x1F44C] = "OK hand", [0x1F595] = "middle finger", [0x1F525] = "fire", [0x1F4A5] = "collision", [0x26A0] = "warning",
        [0x1F6A8] = "police car light", [0x1F6D1] = "stop sign", [0x26D4] = "no entry", [0x1F198] = "SOS button",
        [0x2705] = "check mark button", [0x274C] = "cross mark", [0x2757] = "exclamation mark", [0x2753] = "question mark",
        [0x1F30A] = "water wave", [0x1F327] = "cloud with rain", [0x26C8] = "cloud with lightning and rain",
        [0x1F32A] = "tornado", [0x1F300] = "cyclone", [0x2614] = "umbrella with rain drops", [0x26A1] = "high voltage",
        [0x2744] = "snowflake", [0x2600] = "sun", [0x1F308] = "rainbow", [0x1F691] = "ambulance", [0x1F692] = "fire engine",
        [0x1F693] = "police car", [0x1F3E5] = "hospital", [0x1F3DA] = "derelict house", [0x1F4A7] = "droplet",
        [0x1F4A9] = "pile of poo", [0x1F389] = "party popper", [0x1F38A] = "confetti ball", [0x2728] = "sparkles",
        [0x1F31F] = "glowing star", [0x2B50] = "star", [0x1F381] = "wrapped gift", [0x1F4B0] = "money bag",
        [0x1F917] = "smiling face with open hands", [0x1F92D] = "face with hand over mouth", [0x1F910] = "zipper-mouth face",
        [0x1F974] = "woozy face", [0x1F975] = "hot face", [0x1F976] = "cold face", [0x263A] = "smiling face",
    };

    /// <summary>
    /// The text with each known emoji replaced by its name, set off by a space from a word before it (as VADER does);
    /// the variation selector and joiner after an emoji are dropped. The same instance when there is nothing to replace.
    /// </summary>
    public static string Describe(string text)
    {
        // Every listed emoji is above U+2500; plain text is returned untouched and unallocated.
        if (text.AsSpan().IndexOfAnyInRange('\u2500', '\uFFFF') < 0)
            return text;
        StringBuilder? result = null;
        var previousSpace = true;
        for (var i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var consumed);
            if (Names.TryGetValue(rune.Value, out var name))
            {
                result ??= new StringBuilder(text.Length + 32).Append(text, 0, i);
                if (!previousSpace)
                    result.Append(' ');
                result.Append(name);
                previousSpace = false;
                i += consumed;
                while (i < text.Length && text[i] is '\uFE0F' or '\u200D')
                    i++;
                continue;
            }
            result?.Append(text, i, consumed);
            previousSpace = text[i] == ' ';
            i += consumed;
        }
        return result?.ToString() ?? text;
    }
}
