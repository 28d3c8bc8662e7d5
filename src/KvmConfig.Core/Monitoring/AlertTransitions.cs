using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Monitoring;

/// <summary>What happened to one alert between two intervals.</summary>
public enum AlertChange
{
    /// <summary>The threshold was crossed (or the severity changed: warning to critical, or back).</summary>
    Raised,

    /// <summary>The figure is back on the right side of every threshold, or its subject is gone.</summary>
    Cleared,
}

/// <summary>One line of the alert log.</summary>
/// <param name="Change">Raised or cleared.</param>
/// <param name="Alert">The alert as raised now, or, when cleared, as it was last raised.</param>
public sealed record AlertTransition(AlertChange Change, Alert Alert)
{
    /// <inheritdoc />
    public override string ToString() => Change == AlertChange.Raised
        ? $"alert raised: {Alert}"
        : $"alert cleared: {Alert.Subject} {Alert.Metric} (was {Alert})";
}

/// <summary>
/// The alerts raised over the intervals so far, keyed by subject and metric, so that a log records raisings and
/// clearings rather than every interval an alert stays raised, and a figure that hovers at a threshold does not flap.
/// </summary>
/// <remarks>
/// <para>Per watched figure and per level (warning, critical), as Prometheus alerting rules with <c>for:</c> and a
/// margin:</para>
/// <list type="number">
/// <item>A level is <i>past</i> from the sweep whose figure crosses its threshold until the sweep whose figure is back
/// beyond its clear level (<see cref="AlertFigure.ClearLevel"/>, <see cref="AlertThresholds.ClearMarginPercent"/>):
/// between the two, a figure that dips under the threshold is still past.</item>
/// <item>A level <i>fires</i> once it has been past for <see cref="AlertThresholds.HoldFor"/>, counted between sweep
/// times (the first sweep that saw it and the current one). The alert is the most severe level firing: it is raised
/// when it appears or its severity changes (a new crossing; a change of value is not), and cleared when no level fires.</item>
/// <item>A figure missing from a sweep (not measured for that interval: no TCP segment sent, a domain restarting)
/// changes nothing; once missing for the hold time, its state is dropped and a raised alert cleared. So a domain that
/// stops clears its alerts after the hold time (at once with no hold).</item>
/// </list>
/// <para>Times are nanoseconds of a monotonic clock the caller keeps (the sweeps' stamps); only differences count.</para>
/// </remarks>
/// <param name="thresholds">The hold time and clear margin (<c>for</c>, <c>clear_margin</c> of <c>[alerts]</c>).</param>
public sealed class AlertTransitions(AlertThresholds thresholds)
{
    private readonly Dictionary<(string Subject, string Metric), Watched> _watched = [];

    /// <summary>The alerts raised now.</summary>
    public IReadOnlyCollection<Alert> Active => [.. _watched.Values.Select(w => w.Raised).OfType<Alert>()];

    /// <summary>
    /// Takes the figures of the sweep taken at <paramref name="atNs"/> and returns the transitions they cause: raised
    /// first, in the order given, then cleared, by subject and metric. A figure given twice counts once (the first).
    /// </summary>
    public IReadOnlyList<AlertTransition> Update(IEnumerable<AlertFigure> figures, long atNs)
    {
        long holdNs = thresholds.HoldFor.Ticks * 100;
        var raised = new List<AlertTransition>();
        var cleared = new List<Alert>();
        var seen = new HashSet<(string, string)>();
        foreach (AlertFigure figure in figures)
        {
            (string, string) key = (figure.Subject, figure.Metric);
            if (!seen.Add(key))
            {
                continue;
            }

            if (!_watched.TryGetValue(key, out Watched? watched))
            {
                watched = new Watched();
                _watched[key] = watched;
            }

            watched.LastSeenNs = atNs;
            AlertLevel? firing = null;
            foreach (AlertLevel level in figure.Levels)
            {
                if (watched.PastSinceNs.ContainsKey(level.Severity) && figure.Clears(level, thresholds.ClearMarginPercent))
                {
                    watched.PastSinceNs.Remove(level.Severity);
                }
                else if (!watched.PastSinceNs.ContainsKey(level.Severity) && figure.Crosses(level))
                {
                    watched.PastSinceNs[level.Severity] = atNs;
                }

                if (watched.PastSinceNs.TryGetValue(level.Severity, out long since) && atNs - since >= holdNs)
                {
                    firing = level;
                }
            }

            Alert? was = watched.Raised;
            if (firing is null)
            {
                if (was is not null)
                {
                    cleared.Add(was);
                }

                watched.Raised = null;
            }
            else if (was is null || was.Severity != firing.Severity)
            {
                watched.Raised = figure.At(firing);
                raised.Add(new AlertTransition(AlertChange.Raised, watched.Raised));
            }
            else if (figure.Crosses(firing))
            {
                // The latest value past the threshold, for the clearing's "was"; a value back under it (in the margin) is
                // not what the alert was raised for.
                watched.Raised = figure.At(firing);
            }
        }

        foreach (((string, string) key, Watched watched) in _watched.ToList())
        {
            bool gone = !seen.Contains(key) && atNs - watched.LastSeenNs >= holdNs;
            if (gone && watched.Raised is { } alert)
            {
                cleared.Add(alert);
            }

            if (gone || (watched.Raised is null && watched.PastSinceNs.Count == 0))
            {
                _watched.Remove(key);
            }
        }

        return [.. raised, .. cleared
            .OrderBy(a => a.Subject, StringComparer.Ordinal)
            .ThenBy(a => a.Metric, StringComparer.Ordinal)
            .Select(a => new AlertTransition(AlertChange.Cleared, a))];
    }

    /// <summary>What is known of one watched figure: since when each level is past, and the alert raised.</summary>
    private sealed class Watched
    {
        public Dictionary<AlertSeverity, long> PastSinceNs { get; } = [];

        public long LastSeenNs { get; set; }

        public Alert? Raised { get; set; }
    }
}
