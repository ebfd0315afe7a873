using System.Buffers;
using System.Globalization;

namespace PluggableSnapshotter.Tar;

/// <summary>
/// Times as Go writes and reads them: time.MarshalText's RFC 3339 with up to nine fraction digits, trailing zeros
/// trimmed (what SOCI stores in a zTOC's mod_time and eStargz writers in a TOC's modtime), both ways, and PAX times.
/// Everything here keeps nanoseconds, which .NET's parsers would cut to 100 ns ticks.
/// </summary>
public static class GoTime
{
    private static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");

    private const long NanosPerSecond = 1_000_000_000;
    private const int NanosecondDigits = 9;

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

    /// <summary>
    /// Reads RFC 3339 text (what <see cref="FormatUnix"/> and Go's MarshalText write; any offset) to the nanosecond, as
    /// Go's UnmarshalText does: digits past the ninth are dropped. Null when the text is not RFC 3339.
    /// </summary>
    /// <returns>Seconds since the epoch and nanoseconds counted forward from them (before 1970 too, as timespec's tv_nsec).</returns>
    public static (long Seconds, long Nanos)? ParseText(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string withoutFraction = value;
        long nanos = 0;
        int dot = value.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            int end = dot + 1;
            while (end < value.Length && char.IsAsciiDigit(value[end]))
            {
                end++;
            }
            nanos = FractionNanos(value.AsSpan(dot + 1, end - dot - 1));
            withoutFraction = string.Concat(value.AsSpan(0, dot), value.AsSpan(end));
        }
        // Exact: TryParse would also take "05/06/2024" or a bare date, which are not RFC 3339.
        return DateTimeOffset.TryParseExact(withoutFraction, "yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset time)
            ? (time.ToUnixTimeSeconds(), nanos)
            : null;
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
        long nanos = FractionNanos(fraction);
        return secondsText.StartsWith('-') ? (seconds, -nanos) : (seconds, nanos);
    }

    /// <summary>Decimal fraction digits as nanoseconds: the first nine count, later ones are dropped (as Go does).</summary>
    private static long FractionNanos(ReadOnlySpan<char> digits)
    {
        long nanos = 0;
        for (int i = 0; i < NanosecondDigits; i++)
        {
            nanos = (nanos * 10) + (i < digits.Length ? digits[i] - '0' : 0);
        }
        return nanos;
    }
}
