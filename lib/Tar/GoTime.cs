using System.Buffers;
using System.Globalization;

namespace PluggableSnapshotter.Tar;

/// <summary>
/// Formats times as Go's time.MarshalText does for a UTC time (RFC 3339 with up to nine fraction digits,
/// trailing zeros trimmed), which is what SOCI stores in mod_time.
/// </summary>
public static class GoTime
{
    private static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");

    private const long NanosPerSecond = 1_000_000_000;

    /// <summary>Unix seconds of 0001-01-01 and 10000-01-01: Go refuses to marshal years outside 0..9999.</summary>
    private const long MinSeconds = -62135596800;
    private const long MaxSecondsExclusive = 253402300800;

    /// <summary>RFC 3339 text, or "" where Go's MarshalText fails (SOCI ignores that error and stores "").</summary>
    public static string FormatUnix(long seconds, long nanos)
    {
        seconds += Math.DivRem(nanos, NanosPerSecond, out long rem);
        if (rem < 0)
        {
            rem += NanosPerSecond;
            seconds--;
        }
        if (seconds < MinSeconds || seconds >= MaxSecondsExclusive)
        {
            return "";
        }
        DateTime t = DateTime.UnixEpoch.AddSeconds(seconds);
        string text = t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (rem != 0)
        {
            text += "." + rem.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        }
        return text + "Z";
    }

    /// <summary>Parses a PAX time ("secs[.frac]") as Go's tar reader does; null when malformed.</summary>
    public static (long Seconds, long Nanos)? ParsePax(string value)
    {
        int dot = value.IndexOf('.', StringComparison.Ordinal);
        string secondsText = dot < 0 ? value : value[..dot];
        string fraction = dot < 0 ? "" : value[(dot + 1)..];
        if (!long.TryParse(secondsText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long seconds))
        {
            return null;
        }
        if (fraction.Length == 0)
        {
            return (seconds, 0);
        }
        if (fraction.AsSpan().IndexOfAnyExcept(Digits) >= 0)
        {
            return null;
        }
        fraction = fraction.Length < 9 ? fraction.PadRight(9, '0') : fraction[..9];
        long nanos = long.Parse(fraction, CultureInfo.InvariantCulture);
        return secondsText.StartsWith('-') ? (seconds, -nanos) : (seconds, nanos);
    }
}
