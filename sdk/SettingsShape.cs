using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace PluggableSnapshotter.Sdk;

/// <summary>
/// What a settings type accepts at one level, the way the configuration binder reads it: a single value (converted
/// with its <see cref="TypeConverter"/>), a list (integer keys), a dictionary (any keys) or a record (its properties).
/// </summary>
internal sealed class SettingsShape
{
    private readonly Type _type;
    private readonly ShapeKind _kind;
    private readonly Type? _element;
    // Built on first use, so a type that refers to itself does not recurse forever.
    private readonly Lazy<IReadOnlyDictionary<string, Type>> _properties;

    private SettingsShape(Type type)
    {
        _type = Nullable.GetUnderlyingType(type) ?? type;
        (_kind, _element) = Classify(_type);
        _properties = new Lazy<IReadOnlyDictionary<string, Type>>(FindProperties);
    }

    private enum ShapeKind
    {
        Value,
        List,
        Map,
        Record,
    }

    // Not cached: a static cache would hold plugin types and keep the host's throwaway load contexts from unloading.
    public static SettingsShape Of(Type type) => new(type);

    /// <summary>Checks a section that should hold this shape.</summary>
    public void Check(IConfigurationSection section, List<PluginSettingsError> errors)
    {
        var hasChildren = section.GetChildren().Any();
        if (_kind == ShapeKind.Value)
        {
            if (hasChildren)
            {
                errors.Add(new PluginSettingsError(section.Path, $"must be a single value ({Describe(_type)}), not a mapping or a list"));
            }
            else
            {
                CheckValue(section, errors);
            }
            return;
        }
        if (!hasChildren)
        {
            if (!string.IsNullOrEmpty(section.Value))
            {
                errors.Add(new PluginSettingsError(section.Path, $"must be a {(_kind == ShapeKind.List ? "list" : "mapping")}, not '{section.Value}'"));
            }
            return;
        }
        CheckChildren(section, errors);
    }

    /// <summary>Checks every child of <paramref name="configuration"/> against this list, dictionary or record.</summary>
    public void CheckChildren(IConfiguration configuration, List<PluginSettingsError> errors)
    {
        foreach (var child in configuration.GetChildren())
        {
            switch (_kind)
            {
                case ShapeKind.List when !int.TryParse(child.Key, out _):
                    errors.Add(new PluginSettingsError(child.Path, $"'{child.Key}' is not a list entry: a list belongs here"));
                    break;
                case ShapeKind.List or ShapeKind.Map:
                    Of(_element!).Check(child, errors);
                    break;
                case ShapeKind.Record when _properties.Value.TryGetValue(child.Key, out var propertyType):
                    Of(propertyType).Check(child, errors);
                    break;
                case ShapeKind.Record:
                    errors.Add(new PluginSettingsError(child.Path, UnknownKey(child.Key)));
                    break;
                default:
                    errors.Add(new PluginSettingsError(child.Path, $"unexpected key '{child.Key}': a single value belongs here"));
                    break;
            }
        }
    }

    private string UnknownKey(string key)
    {
        var known = _properties.Value.Keys;
        var closest = known.MinBy(k => EditDistance(k.ToLowerInvariant(), key.ToLowerInvariant()));
        // A near miss is a typo; name the key that was meant rather than the whole list.
        return closest is not null && EditDistance(closest.ToLowerInvariant(), key.ToLowerInvariant()) <= Math.Max(2, key.Length / 4)
            ? $"unknown key '{key}' (did you mean '{closest}'?)"
            : $"unknown key '{key}' (expected {string.Join(", ", known)})";
    }

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private void CheckValue(IConfigurationSection section, List<PluginSettingsError> errors)
    {
        var value = section.Value;
        if (value is null || _type == typeof(string) || _type == typeof(object))
        {
            return;
        }
        if (_type.IsEnum)
        {
            if (!Enum.TryParse(_type, value, ignoreCase: true, out _))
            {
                errors.Add(new PluginSettingsError(section.Path, $"'{value}' is not one of {string.Join(", ", Enum.GetNames(_type))}"));
            }
            return;
        }
        try
        {
            _ = TypeDescriptor.GetConverter(_type).ConvertFromInvariantString(value);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            errors.Add(new PluginSettingsError(section.Path, $"'{value}' is not {Describe(_type)}"));
        }
    }

    private Dictionary<string, Type> FindProperties()
    {
        var result = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in _type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            // The binder sets public setters (init included) and fills read-only collections and records in place.
            var bindable = property.GetIndexParameters().Length == 0 && property.GetMethod is { IsPublic: true }
                && (property.SetMethod is { IsPublic: true } || Classify(property.PropertyType).Kind != ShapeKind.Value);
            if (bindable)
            {
                result[property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name] = property.PropertyType;
            }
        }
        return result;
    }

    private static (ShapeKind Kind, Type? Element) Classify(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(object)
            || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string)))
        {
            return (ShapeKind.Value, null);
        }
        if (type.IsArray)
        {
            return (ShapeKind.List, type.GetElementType());
        }
        if ((Generic(type, typeof(IDictionary<,>)) ?? Generic(type, typeof(IReadOnlyDictionary<,>))) is { } dictionary)
        {
            return (ShapeKind.Map, dictionary.GetGenericArguments()[1]);
        }
        if (Generic(type, typeof(IEnumerable<>)) is { } enumerable)
        {
            return (ShapeKind.List, enumerable.GetGenericArguments()[0]);
        }
        return (ShapeKind.Record, null);
    }

    private static Type? Generic(Type type, Type definition) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == definition
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition);

    private static string Describe(Type type) => Type.GetTypeCode(type) switch
    {
        TypeCode.Boolean => "true or false",
        TypeCode.Byte or TypeCode.SByte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32
            or TypeCode.Int64 or TypeCode.UInt64 => "a whole number",
        TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "a number",
        _ when type == typeof(TimeSpan) => "a duration (hh:mm:ss)",
        _ => $"a valid {type.Name}",
    };
}
