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
/// The alerts active after the last interval, keyed by subject and metric, so that a log records crossings and
/// clearings rather than every interval an alert stays raised. A change of severity is a new crossing; a change of
/// value within the same severity is not.
/// </summary>
public sealed class AlertTransitions
{
    private Dictionary<(string Subject, string Metric), Alert> _active = [];

    /// <summary>The alerts active now.</summary>
    public IReadOnlyCollection<Alert> Active => _active.Values;

    /// <summary>
    /// Takes the alerts of the latest interval and returns the transitions from the previous one: raised first, in the
    /// order given, then cleared, by subject and metric.
    /// </summary>
    public IReadOnlyList<AlertTransition> Update(IEnumerable<Alert> current)
    {
        var now = new Dictionary<(string Subject, string Metric), Alert>();
        var transitions = new List<AlertTransition>();
        foreach (Alert alert in current)
        {
            (string, string) key = (alert.Subject, alert.Metric);
            if (!now.TryAdd(key, alert))
            {
                continue;
            }

            if (!_active.TryGetValue(key, out Alert? was) || was.Severity != alert.Severity)
            {
                transitions.Add(new AlertTransition(AlertChange.Raised, alert));
            }
        }

        transitions.AddRange(_active
            .Where(a => !now.ContainsKey(a.Key))
            .OrderBy(a => a.Key.Subject, StringComparer.Ordinal)
            .ThenBy(a => a.Key.Metric, StringComparer.Ordinal)
            .Select(a => new AlertTransition(AlertChange.Cleared, a.Value)));
        _active = now;
        return transitions;
    }
}
