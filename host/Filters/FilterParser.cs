using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Filters;

/// <summary>
/// Parses one filter in containerd's syntax (filters/parser.go):
/// <code>
/// selectors := selector ("," selector)*
/// selector  := fieldpath (operator value)?
/// fieldpath := field ("." field)*
/// field     := quoted | [A-Za-z0-9_]+
/// operator  := "==" | "!=" | "~="
/// value     := quoted | [^\s,]+        (quoted: "…"; for ~= also /…/ and |…|)
/// </code>
/// Errors read like containerd's: <c>parse error: [before &gt;|here|&lt; after]: what was expected</c>.
/// </summary>
internal ref struct FilterParser
{
    private readonly string _input;
    private int _pos;

    private FilterParser(string input) => _input = input;

    public static IReadOnlyList<Selector> Parse(string input) => new FilterParser(input).Selectors();

    private List<Selector> Selectors()
    {
        var selectors = new List<Selector> { Selector() };
        while (true)
        {
            SkipSpace();
            if (_pos >= _input.Length)
            {
                return selectors;
            }
            if (_input[_pos] != ',')
            {
                throw Error(_pos, $"unexpected input: {_input[_pos]}");
            }
            _pos++;
            selectors.Add(Selector());
        }
    }

    private Selector Selector()
    {
        var path = new List<string> { Field() };
        while (Peek() == '.')
        {
            _pos++;
            path.Add(Field());
        }
        var next = Peek();
        if (next is ',' or '\0')
        {
            return new Selector(path, FilterOperator.Present, "", null);
        }
        var op = Operator();
        var value = Value(allowAltQuotes: op == FilterOperator.Matches);
        Regex? pattern = null;
        if (op == FilterOperator.Matches)
        {
            try
            {
                pattern = new Regex(value, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw Error(_pos, $"invalid regular expression {value}: {e.Message}");
            }
        }
        return new Selector(path, op, value, pattern);
    }

    private string Field()
    {
        SkipSpace();
        var start = _pos;
        if (start < _input.Length && _input[start] == '"')
        {
            return Quoted();
        }
        while (_pos < _input.Length && IsFieldChar(_input[_pos]))
        {
            _pos++;
        }
        if (_pos == start)
        {
            throw Error(start, "expected field or quoted");
        }
        return _input[start.._pos];
    }

    private FilterOperator Operator()
    {
        SkipSpace();
        var start = _pos;
        while (_pos < _input.Length && _input[_pos] is '=' or '!' or '~')
        {
            _pos++;
        }
        return _input[start.._pos] switch
        {
            "==" => FilterOperator.Equal,
            "!=" => FilterOperator.NotEqual,
            "~=" => FilterOperator.Matches,
            "" => throw Error(start, "expected an operator (\"==\"|\"!=\"|\"~=\")"),
            var other => throw Error(start, $"unsupported operator \"{other}\""),
        };
    }

    private string Value(bool allowAltQuotes)
    {
        SkipSpace();
        var start = _pos;
        if (start >= _input.Length || _input[start] is ',' or '.')
        {
            throw Error(start, "expected value or quoted");
        }
        if (_input[start] is '"' or '/' or '|')
        {
            if (_input[start] != '"' && !allowAltQuotes)
            {
                throw Error(start, "invalid quote encountered");
            }
            return Quoted();
        }
        while (_pos < _input.Length && _input[_pos] != ',' && !char.IsWhiteSpace(_input[_pos]) && !char.IsControl(_input[_pos]))
        {
            _pos++;
        }
        return _input[start.._pos];
    }

    // A quoted literal with Go's escapes; the quote is ", / or |.
    private string Quoted()
    {
        var start = _pos;
        var quote = _input[_pos++];
        var text = new StringBuilder();
        while (true)
        {
            if (_pos >= _input.Length || _input[_pos] == '\n')
            {
                throw Error(start, "quoted literal not terminated");
            }
            var c = _input[_pos++];
            if (c == quote)
            {
                return text.ToString();
            }
            if (c != '\\')
            {
                text.Append(c);
                continue;
            }
            if (_pos >= _input.Length)
            {
                throw Error(start, "quoted literal not terminated");
            }
            var escape = _input[_pos++];
            switch (escape)
            {
                case 'a': text.Append('\a'); break;
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 't': text.Append('\t'); break;
                case 'v': text.Append('\v'); break;
                case '\\': text.Append('\\'); break;
                case 'x': text.Append(Digits(start, 2, 16)); break;
                case 'u': text.Append(Digits(start, 4, 16)); break;
                case 'U': text.Append(Digits(start, 8, 16)); break;
                case >= '0' and <= '7': _pos--; text.Append(Digits(start, 3, 8)); break;
                default:
                    if (escape != quote)
                    {
                        throw Error(start, "illegal escape sequence");
                    }
                    // A regular expression keeps the backslash of an escaped delimiter meaningless: drop it.
                    text.Append(escape);
                    break;
            }
        }
    }

    private string Digits(int start, int count, int radix)
    {
        if (_pos + count > _input.Length)
        {
            throw Error(start, "illegal numeric escape sequence");
        }
        var digits = _input.Substring(_pos, count);
        _pos += count;
        try
        {
            var value = radix == 16
                ? int.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
                : Convert.ToInt32(digits, 8);
            return char.ConvertFromUtf32(value);
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException or OverflowException)
        {
            throw Error(start, "illegal numeric escape sequence");
        }
    }

    private char Peek()
    {
        SkipSpace();
        return _pos < _input.Length ? _input[_pos] : '\0';
    }

    private void SkipSpace()
    {
        while (_pos < _input.Length && char.IsWhiteSpace(_input[_pos]))
        {
            _pos++;
        }
    }

    private static bool IsFieldChar(char c) => c == '_' || char.IsAsciiLetterOrDigit(c);

    private readonly SnapshotterException Error(int pos, string message)
    {
        var where = pos < _input.Length
            ? $"[{_input[..pos]} >|{_input[pos]}|< {_input[(pos + 1)..]}]"
            : $"[{_input}]";
        return SnapshotterException.InvalidArgument($"filters: parse error: {where}: {message}: invalid argument");
    }
}
