using KvmConfig.Core;
using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.History;
using KvmConfig.Monitoring.Sweeping;

namespace KvmConfig.Monitoring.Exporter;

public sealed partial class MetricsExporter
{
    /// <summary>
    /// The host's gauges between two sweeps: HostFigures' retransmit and reclaim percentages, and each resource's
    /// pressure, both its <c>some</c> and its <c>full</c> line, as a share of the interval, and the block devices busy in it.
    /// </summary>
    internal static HostGauges? Gauges(HostSample before, HostSample after)
    {
        if (HostFigures.Between(before, after) is not { } figures)
        {
            return null;
        }

        long elapsedNs = after.AtNs - before.AtNs;
        StallPercent? Stall(PressureResource resource)
        {
            if (!before.Pressure.TryGetValue(resource, out PressureStall? was) || !after.Pressure.TryGetValue(resource, out PressureStall? now))
            {
                return null;
            }

            double? Line(PressureLine? a, PressureLine? b) => a is { } x && b is { } y ? Metrics.PressurePercent(x, y, elapsedNs) : null;
            return new StallPercent(Line(was.Some, now.Some), Line(was.Full, now.Full));
        }

        return new HostGauges(figures.TcpRetransmitPercent, figures.ReclaimEfficiencyPercent,
            Stall(PressureResource.Cpu), Stall(PressureResource.Memory), Stall(PressureResource.Io))
        {
            // Only the devices that did I/O in the interval: a host has dozens of idle loop devices and partitions, which
            // would cost the history bytes at every sweep to say nothing (an absent device reads as an idle one).
            Disks = [.. figures.Disks.Where(d => d.LatencyMs is not null || d.QueueDepth > 0 || d.InFlight > 0)],
        };
    }

    private async Task SampleAsync(CancellationToken stop)
    {
        TimeProvider time = _options.Time;
        IHostSweeper? sweeper = null;
        SweepSample? previous = null;
        TimeSpan backoff = _options.ReconnectInitial;
        DateTimeOffset? lastPrune = null;
        var alerts = new AlertTransitions(_options.Thresholds);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                long started = time.GetTimestamp();
                SweepSample sample;
                try
                {
                    sweeper ??= _connect();
                    sample = sweeper.Sweep();
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    // Whatever failed (daemon gone, connection closed, a read that raced a domain's exit), the
                    // connection is dropped and a new one made after the backoff; the figures restart with it.
                    sweeper?.Dispose();
                    sweeper = null;
                    previous = null;
                    string reason = e is KvmConfigException ? e.Message : $"{e.GetType().Name}: {e.Message}";
                    if (_status.Degraded is null)
                    {
                        Log($"degraded: {reason}; reconnecting (first retry in {backoff.TotalSeconds:0.#} s, then doubling up to {_options.ReconnectMax.TotalSeconds:0.#} s)");
                    }

                    Publish(_status with { Degraded = reason, Metrics = Render(_status.Latest, _status.Host, libvirtUp: false) }, succeeded: false);
                    await Task.Delay(backoff, time, stop).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.ReconnectMax.Ticks));
                    continue;
                }

                if (_status.Degraded is not null)
                {
                    Log("recovered: libvirt reachable again");
                }

                backoff = _options.ReconnectInitial;
                SweepFigures? figures = null;
                HostGauges? host = null;
                if (previous is not null)
                {
                    figures = SweepFigures.Between(previous, sample);
                    host = Gauges(previous.Host, sample.Host);
                    Record(figures, host, alerts, sample.Host.AtNs, ref lastPrune);
                }

                previous = sample;
                _sweepMs = (0.9 * _sweepMs) + (0.1 * time.GetElapsedTime(started).TotalMilliseconds);
                CheckHistory(immediately: false);
                Publish(new ExporterStatus(sample, figures, host, _status.Sweeps + 1, null) { Metrics = Render(sample, host), HistoryProblem = _historyProblem }, succeeded: true);

                TimeSpan wait = _options.Interval - time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            sweeper?.Dispose();
        }
    }

    // History and alerts of one interval: the alert transitions are logged and kept in the history with the sweep. Their
    // hold time counts on the sweeps' own monotonic clock (atNs, the sweep's host stamp). A history that cannot be
    // written is logged and the sweep goes on: the exposition does not depend on it.
    private void Record(SweepFigures figures, HostGauges? host, AlertTransitions alerts, long atNs, ref DateTimeOffset? lastPrune)
    {
        DateTimeOffset now = _options.Time.GetUtcNow();
        IEnumerable<AlertFigure> watched = figures.Domains.SelectMany(d => AlertRules.Watch(d, _options.Thresholds));
        if (figures.Host is { } hostFigures)
        {
            watched = watched.Concat(AlertRules.Watch(hostFigures, _options.Thresholds));
        }

        IReadOnlyList<AlertTransition> transitions = alerts.Update(watched, atNs);
        foreach (AlertTransition transition in transitions)
        {
            Log(transition.ToString());
        }

        if (_history is not { } history)
        {
            return;
        }

        try
        {
            history.Append(now, figures.Domains, host, transitions);
            if (lastPrune is not { } last || now - last >= _options.PruneEvery)
            {
                history.Prune(now - _options.Retention);
                lastPrune = now;
            }
        }
        catch (Exception e) when (e is KvmConfigException or ArgumentException)
        {
            Log($"history: {e.Message}");
            CheckHistory(immediately: true);
        }
    }

    /// <summary>
    /// SQLite's quick_check of the history, spaced so that it costs under 1 % of the sweeps: after a check that took
    /// d ms, the next comes after 100 d / s sweeps of s ms each (at once when an append failed). A damaged file is
    /// left as it is for whoever repairs it, the exporter turns degraded and says so, and the figures go to a fresh
    /// file beside it from then on.
    /// </summary>
    private void CheckHistory(bool immediately)
    {
        if (_history is not { } history)
        {
            return;
        }

        int due = Math.Max(1, (int)Math.Ceiling(100 * history.QuickCheckTook.TotalMilliseconds / Math.Max(_sweepMs, 0.01)));
        if (!immediately && ++_sweepsSinceCheck < due)
        {
            return;
        }

        _sweepsSinceCheck = 0;
        IReadOnlyList<string> problems = history.QuickCheck();
        if (problems.Count == 0)
        {
            return;
        }

        string damage = $"history {history.Path} is damaged (SQLite's quick_check: {string.Join("; ", problems.Take(2))})";
        string fresh = HistoryStore.FreshPathBeside(history.Path, _options.Time.GetUtcNow());
        try
        {
            HistoryStore next = HistoryStore.Open(fresh);
            _replacement?.Dispose();
            _replacement = next;
            _history = next;
            _historyProblem = $"{damage}; writing to {fresh} from now on";
        }
        catch (KvmConfigException e)
        {
            _history = null;
            _historyProblem = $"{damage}, and no fresh file can be made beside it ({e.Message}); no history is kept";
        }

        Log($"degraded: {_historyProblem}");
    }

    private void Publish(ExporterStatus status, bool succeeded)
    {
        _status = status;
        try
        {
            SweepCompleted?.Invoke(new SweepOutcome(succeeded, status));
        }
        catch (Exception e)
        {
            Log($"a SweepCompleted handler failed: {e.Message}");
        }
    }
}
