using System.Runtime.CompilerServices;
using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse;

/// <summary>
/// Requests answered and failed, by opcode, over every session of this copy of the library (each plugin loads its own,
/// so the counts are the plugin's). Counting is two array slots and an interlocked add on the reply path: no allocation
/// and no lock, so the request loop stays allocation-free (tests/Fuse.Tests/HotPath). A failure is an answer of EIO:
/// what a node's fault or a failed fetch becomes; ENOENT, ENODATA and the like are ordinary answers. INTERRUPT, which
/// is never answered, counts the interrupts received.
/// </summary>
public static class FuseOperationCounts
{
    // Opcodes are small (linux/fuse.h: 1..51 today); anything above the table counts as "other".
    private const int Slots = 64;
    private static readonly long[] Answered = new long[Slots];
    private static readonly long[] Failed = new long[Slots];
    private static readonly string[] Names = BuildNames();

    /// <summary>Counts one answer to <paramref name="opcode"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Count(FuseOpcode opcode, Errno error)
    {
        int slot = (uint)opcode < Slots ? (int)opcode : 0;
        Interlocked.Increment(ref Answered[slot]);
        if (error == Errno.EIO)
        {
            Interlocked.Increment(ref Failed[slot]);
        }
    }

    /// <summary>Every opcode answered at least once: its name (lowercase, as in linux/fuse.h), answers and failures.</summary>
    public static IReadOnlyList<(string Opcode, long Answered, long Failed)> Read()
    {
        var counts = new List<(string, long, long)>();
        for (int slot = 0; slot < Slots; slot++)
        {
            long answered = Interlocked.Read(ref Answered[slot]);
            if (answered > 0)
            {
                counts.Add((Names[slot], answered, Interlocked.Read(ref Failed[slot])));
            }
        }
        return counts;
    }

    private static string[] BuildNames()
    {
        var names = new string[Slots];
        for (int slot = 0; slot < Slots; slot++)
        {
            names[slot] = Enum.IsDefined((FuseOpcode)slot) ? ((FuseOpcode)slot).ToString().ToLowerInvariant() : "other";
        }
        return names;
    }
}
