namespace PluggableSnapshotter.Host.Filters;

/// <summary>The operators of containerd's filter syntax.</summary>
internal enum FilterOperator
{
    /// <summary>No operator: the field must be present.</summary>
    Present,

    /// <summary><c>==</c>: present and equal.</summary>
    Equal,

    /// <summary><c>!=</c>: absent or different.</summary>
    NotEqual,

    /// <summary><c>~=</c>: matches a regular expression.</summary>
    Matches,
}
