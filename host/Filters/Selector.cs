using System.Text.RegularExpressions;

namespace PluggableSnapshotter.Host.Filters;

/// <summary>One <c>fieldpath op value</c> term of a filter.</summary>
internal sealed record Selector(IReadOnlyList<string> FieldPath, FilterOperator Operator, string Value, Regex? Pattern)
{
    /// <summary>Whether the object that <paramref name="field"/> describes satisfies this term.</summary>
    public bool Matches(Func<IReadOnlyList<string>, string?> field)
    {
        var value = field(FieldPath);
        return Operator switch
        {
            FilterOperator.Present => value is not null,
            FilterOperator.Equal => value is not null && value == Value,
            FilterOperator.NotEqual => value != Value,
            FilterOperator.Matches => value is not null && Pattern!.IsMatch(value),
            _ => false,
        };
    }
}
