namespace PluggableSnapshotter.LazyLayers.Content;

/// <summary>
/// What a format made of a compressed range (<see cref="VerifiedRangeReader"/>): <see cref="Value"/> to return, and whether
/// every part of it matched its digest (<see cref="Verified"/>). A range that is only partly good (an eStargz group with
/// one bad chunk) is still returned, but never kept, and stored bytes that took part are forgotten and fetched again.
/// </summary>
public readonly record struct DecodedRange<T>(T Value, bool Verified);

/// <summary>
/// Checks and decompresses a range's compressed bytes; throws <see cref="InvalidDataException"/> when nothing of it can
/// be served. The bytes are the reader's buffer: valid only during the call.
/// </summary>
public delegate DecodedRange<T> RangeDecoder<T>(ReadOnlyMemory<byte> compressed);
