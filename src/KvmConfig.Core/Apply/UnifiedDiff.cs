using System.Text;

namespace KvmConfig.Core.Apply;

/// <summary>
/// A line diff in the unified format <c>diff -u</c> prints (<c>---</c>/<c>+++</c> headers, <c>@@ -a,b +c,d @@</c>
/// hunks with 3 lines of context), from a longest common subsequence of lines. Domain XML is a few hundred lines at
/// most, so the quadratic table is small.
/// </summary>
public static class UnifiedDiff
{
    /// <summary>The diff from <paramref name="before"/> to <paramref name="after"/>; empty when they are equal.</summary>
    public static string Of(string before, string after, string beforeLabel, string afterLabel, int context = 3)
    {
        string[] a = Lines(before), b = Lines(after);
        List<(char Op, string Line, int A, int B)> edits = Edits(a, b);
        if (edits.All(e => e.Op == ' '))
        {
            return "";
        }

        var text = new StringBuilder();
        text.Append("--- ").Append(beforeLabel).Append('\n');
        text.Append("+++ ").Append(afterLabel).Append('\n');
        int i = 0;
        while (i < edits.Count)
        {
            int change = edits.FindIndex(i, e => e.Op != ' ');
            if (change < 0)
            {
                break;
            }

            // A hunk runs from `context` lines before its first change to `context` lines after its last one, and
            // swallows the next change when fewer than 2 * context equal lines separate them.
            int start = Math.Max(i, change - context);
            int end = change;
            while (true)
            {
                int next = edits.FindIndex(end + 1, e => e.Op != ' ');
                if (next < 0 || next - end > 2 * context)
                {
                    break;
                }

                end = next;
            }

            end = Math.Min(edits.Count - 1, end + context);
            List<(char Op, string Line, int A, int B)> hunk = edits.GetRange(start, end - start + 1);
            int aStart = hunk[0].A, bStart = hunk[0].B;
            int aCount = hunk.Count(e => e.Op != '+'), bCount = hunk.Count(e => e.Op != '-');
            text.Append($"@@ -{(aCount == 0 ? aStart : aStart + 1)},{aCount} +{(bCount == 0 ? bStart : bStart + 1)},{bCount} @@\n");
            foreach ((char op, string line, _, _) in hunk)
            {
                text.Append(op).Append(line).Append('\n');
            }

            i = end + 1;
        }

        return text.ToString();
    }

    private static string[] Lines(string text) =>
        text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n');

    // Each edit carries the 0-based positions in a and b reached before it, for the hunk headers.
    private static List<(char Op, string Line, int A, int B)> Edits(string[] a, string[] b)
    {
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int x = a.Length - 1; x >= 0; x--)
        {
            for (int y = b.Length - 1; y >= 0; y--)
            {
                lcs[x, y] = a[x] == b[y] ? lcs[x + 1, y + 1] + 1 : Math.Max(lcs[x + 1, y], lcs[x, y + 1]);
            }
        }

        var edits = new List<(char, string, int, int)>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            if (i < a.Length && j < b.Length && a[i] == b[j])
            {
                edits.Add((' ', a[i], i, j));
                i++;
                j++;
            }
            else if (i < a.Length && (j == b.Length || lcs[i + 1, j] >= lcs[i, j + 1]))
            {
                // On a tie the old line goes first, as diff(1) prints a changed line: removed, then added.
                edits.Add(('-', a[i], i, j));
                i++;
            }
            else
            {
                edits.Add(('+', b[j], i, j));
                j++;
            }
        }

        return edits;
    }
}
