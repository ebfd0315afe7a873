using System.Globalization;
using PluggableSnapshotter.Fuse;

namespace PluggableSnapshotter.LazyLayers.Tree;

/// <summary>
/// Reads the modification times layer indexes write: Go's <c>time.MarshalText</c>, RFC 3339 with up to nine fraction
/// digits and trailing zeros trimmed (<c>2023-11-14T22:13:20.123456789Z</c>; a zTOC's <c>mod_time</c>, an eStargz TOC's
/// <c>modtime</c>). The fraction is read here to the nanosecond; .NET's parser would stop at 100 ns.
/// </summary>
public static class Rfc3339Time
{
    private const int NanosecondDigits = 9;

    /// <summary>The time <paramref name="value"/> names; the epoch when it is empty (SOCI stores "" for a time Go cannot marshal).</summary>
    /// <param name="value">The index's text.</param>
    /// <param name="entryName">The entry it belongs to, for the error.</param>
    /// <exception cref="InvalidDataException">The value is not RFC 3339.</exception>
    public static UnixTime Parse(string? value, string entryName)
    {
        if (string.IsNullOrEmpty(value)) return UnixTime.Epoch;
        var withoutFraction = value;
        uint nanoseconds = 0;
        var dot = value.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < value.Length && char.IsAsciiDigit(value[end])) end++;
            var digits = value.AsSpan(dot + 1, Math.Min(end - dot - 1, NanosecondDigits)); // Go drops digits past the ninth too
            foreach (var digit in digits) nanoseconds = (nanoseconds * 10) + (uint)(digit - '0');
            for (var i = digits.Length; i < NanosecondDigits; i++) nanoseconds *= 10;
            withoutFraction = string.Concat(value.AsSpan(0, dot), value.AsSpan(end));
        }
        // The fraction counts forward from the whole second, before 1970 too, as timespec's tv_nsec does.
        return DateTimeOffset.TryParse(withoutFraction, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? new UnixTime(time.ToUnixTimeSeconds(), nanoseconds)
            : throw new InvalidDataException($"entry {entryName} has modification time \"{value}\", which is not RFC 3339");
    }
}
