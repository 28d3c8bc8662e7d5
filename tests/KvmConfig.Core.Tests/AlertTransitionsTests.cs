using KvmConfig.Core.Monitoring;

namespace KvmConfig.Core.Tests;

/// <summary><see cref="AlertTransitions"/>: the alert log records crossings and clearings, not every interval.</summary>
public sealed class AlertTransitionsTests
{
    private static readonly Alert WebWarning = new("web1 vcpu 0", "ready", 7.5, 5, AlertSeverity.Warning);
    private static readonly Alert WebWarningHigher = WebWarning with { Value = 9.1 };
    private static readonly Alert WebCritical = new("web1 vcpu 0", "ready", 12, 10, AlertSeverity.Critical);
    private static readonly Alert HostRetransmit = new("host", "tcp_retransmit", 6, 5, AlertSeverity.Warning);

    public static TheoryData<string, Alert[][], string[]> Cases => new()
    {
        { "a first crossing is raised", [[WebWarning]], ["alert raised: warning: web1 vcpu 0 ready 7.5 % (at or above 5 %)"] },
        { "staying above, even with another value, is silent", [[WebWarning], [WebWarningHigher]], [] },
        { "warning to critical is a new crossing", [[WebWarning], [WebCritical]], ["alert raised: critical: web1 vcpu 0 ready 12 % (at or above 10 %)"] },
        { "back under every threshold clears, naming the alert as it last was", [[WebWarningHigher, HostRetransmit], [HostRetransmit]],
            ["alert cleared: web1 vcpu 0 ready (was warning: web1 vcpu 0 ready 9.1 % (at or above 5 %))"] },
        { "cleared alerts come after raised ones, by subject", [[WebWarning, HostRetransmit], [WebCritical]],
            ["alert raised: critical: web1 vcpu 0 ready 12 % (at or above 10 %)", "alert cleared: host tcp_retransmit (was warning: host tcp_retransmit 6 % (above 5 %))"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_last_interval_logs_only_changes(string description, Alert[][] intervals, string[] lastLines)
    {
        _ = description;
        var transitions = new AlertTransitions();
        IReadOnlyList<AlertTransition> last = [];
        foreach (Alert[] interval in intervals)
        {
            last = transitions.Update(interval);
        }

        Assert.Equal(lastLines, last.Select(t => t.ToString()));
    }
}
