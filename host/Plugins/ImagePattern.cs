using System.Text;
using System.Text.RegularExpressions;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>
/// A glob on image references, as chains use them: <c>*</c> matches within one path segment, <c>**</c> across segments,
/// <c>?</c> one character. <c>registry.local/team/*</c> matches <c>registry.local/team/app:1.0</c>.
/// </summary>
internal sealed class ImagePattern
{
    private readonly Regex _regex;

    public ImagePattern(string glob)
    {
        Glob = glob;
        var pattern = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            switch (glob[i])
            {
                case '*' when i + 1 < glob.Length && glob[i + 1] == '*':
                    pattern.Append(".*");
                    i++;
                    break;
                case '*':
                    pattern.Append("[^/]*");
                    break;
                case '?':
                    pattern.Append("[^/]");
                    break;
                default:
                    pattern.Append(Regex.Escape(glob[i].ToString()));
                    break;
            }
        }
        _regex = new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    public string Glob { get; }

    public bool Matches(string imageReference) => _regex.IsMatch(imageReference);
}
