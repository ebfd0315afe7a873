using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// A settings object as plugins.yaml would spell it: mappings keyed by <see cref="ConfigurationKeyNameAttribute"/>
/// names (the bindable properties, as the binder sees them), lists, and single values in invariant text. A property
/// left null is left out: unset is its default, decided where it is used (an empty value would not read back).
/// </summary>
internal static class SettingsTree
{
    public static object? From(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case string or bool:
                return value;
            case IFormattable formattable when IsSingleValue(value.GetType()):
                return formattable.ToString(null, CultureInfo.InvariantCulture);
            case IDictionary dictionary:
                var map = new SortedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (DictionaryEntry entry in dictionary)
                {
                    map[Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? ""] = From(entry.Value);
                }
                return map;
            case IEnumerable list:
                return list.Cast<object?>().Select(From).ToList();
            case var _ when IsSingleValue(value.GetType()):
                return TypeDescriptor.GetConverter(value.GetType()).ConvertToInvariantString(value);
            default:
                return Record(value);
        }
    }

    private static Dictionary<string, object?> Record(object value)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var bindable = property.GetIndexParameters().Length == 0 && property.GetMethod is { IsPublic: true }
                && (property.SetMethod is { IsPublic: true } || !IsSingleValue(property.PropertyType));
            if (bindable && property.GetValue(value) is { } set)
            {
                result[property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name] = From(set);
            }
        }
        return result;
    }

    private static bool IsSingleValue(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
            || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));
    }
}
