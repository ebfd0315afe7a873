using System.Text.Json;
using Microsoft.Data.Sqlite;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Metadata;

/// <summary>
/// The snapshot operations of containerd's metadata store (snapshots/storage), inside one transaction of <see cref="MetaStore"/>.
/// Errors are <see cref="SnapshotterException"/>s with containerd's kinds and messages.
/// </summary>
internal sealed class SnapshotTable(SqliteConnection connection, SqliteTransaction transaction)
{
    /// <summary>Creates an active or view snapshot on an optional committed parent.</summary>
    public SnapshotRecord Create(SnapshotKind kind, string key, string parent, IReadOnlyDictionary<string, string> labels, DateTimeOffset now)
    {
        if (kind is not (SnapshotKind.Active or SnapshotKind.View))
        {
            throw SnapshotterException.InvalidArgument($"snapshot type {kind} invalid; only snapshots of type Active or View can be created");
        }
        if (string.IsNullOrEmpty(key))
        {
            throw SnapshotterException.InvalidArgument("snapshot key is empty");
        }
        Row? parentRow = null;
        if (!string.IsNullOrEmpty(parent))
        {
            parentRow = Find(parent) ?? throw SnapshotterException.NotFound($"missing parent \"{parent}\" bucket: not found");
            if (parentRow.Kind != SnapshotKind.Committed)
            {
                throw SnapshotterException.InvalidArgument($"parent \"{parent}\" is not committed snapshot: invalid argument");
            }
        }
        if (Find(key) is not null)
        {
            throw SnapshotterException.AlreadyExists($"snapshot {key}: already exists");
        }
        var id = Insert(key, kind, parentRow?.Id, labels, now, now, 0, 0);
        return ToRecord(new Row(id, key, kind, parentRow?.Id, labels, now, now, parentRow?.Name ?? ""));
    }

    /// <summary>The snapshot named <paramref name="key"/>.</summary>
    public SnapshotRecord Get(string key) =>
        ToRecord(Find(key) ?? throw SnapshotterException.NotFound($"snapshot {key} does not exist: not found"));

    /// <summary>The snapshot named <paramref name="key"/>, or null.</summary>
    public SnapshotRecord? TryGet(string key) => Find(key) is { } row ? ToRecord(row) : null;

    /// <summary>An active or view snapshot, as Mounts needs it.</summary>
    public SnapshotRecord GetActive(string key)
    {
        var record = Get(key);
        if (record.Kind is not (SnapshotKind.Active or SnapshotKind.View))
        {
            throw SnapshotterException.FailedPrecondition($"requested snapshot {key} not active or view: failed precondition");
        }
        return record;
    }

    /// <summary>Changes labels per containerd's field paths (<c>labels</c>, <c>labels.&lt;key&gt;</c>; none means all labels).</summary>
    public SnapshotInfo UpdateLabels(SnapshotInfo info, IReadOnlyList<string> fieldPaths, DateTimeOffset now)
    {
        var row = Find(info.Name) ?? throw SnapshotterException.NotFound($"snapshot {info.Name} does not exist: not found");
        var labels = new Dictionary<string, string>(row.Labels);
        if (fieldPaths.Count == 0)
        {
            labels = new Dictionary<string, string>(info.Labels);
        }
        foreach (var path in fieldPaths)
        {
            if (path.StartsWith("labels.", StringComparison.Ordinal))
            {
                var key = path["labels.".Length..];
                if (info.Labels.TryGetValue(key, out var value))
                {
                    labels[key] = value;
                }
                else
                {
                    labels.Remove(key);
                }
            }
            else if (path == "labels")
            {
                labels = new Dictionary<string, string>(info.Labels);
            }
            else
            {
                throw SnapshotterException.InvalidArgument($"cannot update \"{path}\" field on snapshot \"{info.Name}\": invalid argument");
            }
        }
        Execute("UPDATE snapshots SET labels = $labels, updated = $updated WHERE id = $id",
            ("$labels", JsonSerializer.Serialize(labels)), ("$updated", now.UtcTicks), ("$id", row.Id));
        return ToRecord(row with { Labels = labels, Updated = now }).Info;
    }

    /// <summary>Adds (or replaces) labels of a snapshot, keeping the others.</summary>
    public SnapshotInfo AddLabels(string key, IReadOnlyDictionary<string, string> added, DateTimeOffset now)
    {
        var row = Find(key) ?? throw SnapshotterException.NotFound($"snapshot {key} does not exist: not found");
        var labels = new Dictionary<string, string>(row.Labels);
        foreach (var (name, value) in added)
        {
            labels[name] = value;
        }
        Execute("UPDATE snapshots SET labels = $labels, updated = $now WHERE id = $id",
            ("$labels", JsonSerializer.Serialize(labels)), ("$now", now.UtcTicks), ("$id", row.Id));
        return ToRecord(row with { Labels = labels, Updated = now }).Info;
    }

    /// <summary>Commits the active snapshot <paramref name="key"/> as <paramref name="name"/>, keeping its directory id.</summary>
    public SnapshotRecord Commit(string key, string name, IReadOnlyDictionary<string, string> labels, SnapshotUsage usage, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw SnapshotterException.InvalidArgument("committed name is empty");
        }
        if (Find(name) is not null)
        {
            throw SnapshotterException.AlreadyExists($"committed name {name}: already exists");
        }
        var row = Find(key) ?? throw SnapshotterException.NotFound($"failed to get active snapshot \"{key}\": snapshot {key} does not exist: not found");
        if (row.Kind != SnapshotKind.Active)
        {
            throw SnapshotterException.FailedPrecondition($"snapshot {key} is not active: failed precondition");
        }
        Execute("UPDATE snapshots SET name = $name, kind = $kind, labels = $labels, created = $now, updated = $now, size = $size, inodes = $inodes WHERE id = $id",
            ("$name", name), ("$kind", (long)SnapshotKind.Committed), ("$labels", JsonSerializer.Serialize(labels)),
            ("$now", now.UtcTicks), ("$size", usage.Size), ("$inodes", usage.Inodes), ("$id", row.Id));
        return Get(name);
    }

    /// <summary>Removes a snapshot without children; returns what it was.</summary>
    public SnapshotRecord Remove(string key)
    {
        var row = Find(key) ?? throw SnapshotterException.NotFound($"snapshot {key} does not exist: not found");
        if (Scalar("SELECT COUNT(*) FROM snapshots WHERE parent = $id", ("$id", row.Id)) > 0)
        {
            throw SnapshotterException.FailedPrecondition($"cannot remove snapshot with child: failed precondition");
        }
        var record = ToRecord(row);
        Execute("DELETE FROM snapshots WHERE id = $id", ("$id", row.Id));
        return record;
    }

    /// <summary>Records the id-mapped views an active snapshot uses as lower dirs.</summary>
    public SnapshotRecord SetMappedLowers(string key, IReadOnlyList<string> lowers)
    {
        var row = Find(key) ?? throw SnapshotterException.NotFound($"snapshot {key} does not exist: not found");
        Execute("UPDATE snapshots SET lowers = $lowers WHERE id = $id", ("$lowers", JsonSerializer.Serialize(lowers)), ("$id", row.Id));
        return ToRecord(row with { Lowers = lowers });
    }

    /// <summary>The stored usage of a committed snapshot.</summary>
    public SnapshotUsage StoredUsage(long id)
    {
        using var command = Command("SELECT size, inodes FROM snapshots WHERE id = $id", ("$id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new SnapshotUsage(reader.GetInt64(0), reader.GetInt64(1)) : default;
    }

    /// <summary>Every snapshot, in id order.</summary>
    public IReadOnlyList<SnapshotInfo> All()
    {
        var result = new List<SnapshotInfo>();
        using var command = Command($"SELECT s.id, s.name, s.kind, s.parent, s.labels, s.created, s.updated, p.name, s.lowers FROM snapshots s LEFT JOIN snapshots p ON p.id = s.parent ORDER BY s.id");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            result.Add(ToInfo(ReadRow(reader)));
        }
        return result;
    }

    /// <summary>The directory ids of every snapshot.</summary>
    public IReadOnlySet<long> Ids()
    {
        var ids = new HashSet<long>();
        using var command = Command("SELECT id FROM snapshots");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }
        return ids;
    }

    private sealed record Row(long Id, string Name, SnapshotKind Kind, long? Parent, IReadOnlyDictionary<string, string> Labels,
        DateTimeOffset Created, DateTimeOffset Updated, string ParentName, IReadOnlyList<string>? Lowers = null);

    private Row? Find(string name)
    {
        using var command = Command($"SELECT s.id, s.name, s.kind, s.parent, s.labels, s.created, s.updated, p.name, s.lowers FROM snapshots s LEFT JOIN snapshots p ON p.id = s.parent WHERE s.name = $name", ("$name", name));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRow(reader) : null;
    }

    private static Row ReadRow(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        (SnapshotKind)reader.GetInt64(2),
        reader.IsDBNull(3) ? null : reader.GetInt64(3),
        JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(4)) ?? [],
        new DateTimeOffset(reader.GetInt64(5), TimeSpan.Zero),
        new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero),
        reader.IsDBNull(7) ? "" : reader.GetString(7),
        reader.IsDBNull(8) ? null : JsonSerializer.Deserialize<string[]>(reader.GetString(8)));

    private SnapshotRecord ToRecord(Row row)
    {
        var parents = new List<long>();
        for (var parent = row.Parent; parent is { } id;)
        {
            parents.Add(id);
            parent = Scalar("SELECT parent FROM snapshots WHERE id = $id", ("$id", id)) is var next && next > 0 ? next : null;
        }
        return new SnapshotRecord(row.Id, row.Kind, parents, ToInfo(row), row.Lowers);
    }

    private static SnapshotInfo ToInfo(Row row) => new()
    {
        Kind = row.Kind,
        Name = row.Name,
        Parent = row.ParentName,
        Labels = row.Labels,
        Created = row.Created,
        Updated = row.Updated,
    };

    private long Insert(string name, SnapshotKind kind, long? parent, IReadOnlyDictionary<string, string> labels,
        DateTimeOffset created, DateTimeOffset updated, long size, long inodes)
    {
        using var command = Command($"INSERT INTO snapshots (name, kind, parent, labels, created, updated, size, inodes) VALUES ($name, $kind, $parent, $labels, $created, $updated, $size, $inodes) RETURNING id",
            ("$name", name), ("$kind", (long)kind), ("$parent", parent), ("$labels", JsonSerializer.Serialize(labels)),
            ("$created", created.UtcTicks), ("$updated", updated.UtcTicks), ("$size", size), ("$inodes", inodes));
        return (long)command.ExecuteScalar()!;
    }

    private void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        command.ExecuteNonQuery();
    }

    private long Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteScalar() is long value ? value : 0;
    }

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }
}
