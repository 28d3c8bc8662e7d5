using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;
using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.History;

public sealed partial class HistoryStore
{
    // Domain name -> id in the domain table; filled as rows are written and read, only with committed ids.
    private readonly Dictionary<string, long> _domainIds = new(StringComparer.Ordinal);

    /// <summary>
    /// Records one sweep in one transaction: its time, each domain's figures and the host's, if known. Figures are kept
    /// to 0.01 point. Throws <see cref="ArgumentException"/> for a domain listed twice, a vCPU listed twice, or a
    /// figure that is NaN, infinite or a negative ready %; <see cref="KvmConfigException"/> when the database cannot
    /// be written (disk full, file damaged since it was opened), in which case nothing of the sweep is kept.
    /// </summary>
    /// <param name="at">When the sweep was taken (stored as UTC milliseconds).</param>
    /// <param name="figures">Each running domain's figures over the sweep's interval.</param>
    /// <param name="host">The host's figures, or null when unknown.</param>
    public void Append(DateTimeOffset at, IReadOnlyList<DomainFigures> figures, HostGauges? host = null)
    {
        List<(DomainFigures Figures, byte[] VcpuReady)> rows = Prepare(figures);
        lock (_gate)
        {
            Guard(() =>
            {
                using SqliteTransaction transaction = _connection.BeginTransaction();
                var newIds = new Dictionary<string, long>(StringComparer.Ordinal);
                long sweep = QueryInt64("INSERT INTO sweep (at_unix_ms) VALUES ($at) RETURNING id", ("$at", at.ToUnixTimeMilliseconds()));
                foreach ((DomainFigures domain, byte[] vcpuReady) in rows)
                {
                    long domainId = DomainId(domain.Domain, newIds);
                    Execute(
                        """
                        INSERT INTO domain_figures (sweep_id, domain_id, cpu_bp, ready_mean_bp, ready_max_bp, memory_overhead_bp, vcpu_ready)
                        VALUES ($sweep, $domain, $cpu, $mean, $max, $overhead, $vcpus)
                        """,
                        ("$sweep", sweep), ("$domain", domainId), ("$cpu", BasisPoints(domain.CpuPercent)),
                        ("$mean", BasisPoints(domain.ReadyPercent)), ("$max", BasisPoints(domain.ReadyPercentMax)),
                        ("$overhead", domain.MemoryOverheadPercent is { } overhead ? BasisPoints(overhead) : null), ("$vcpus", vcpuReady));
                }

                if (host is not null)
                {
                    Execute(
                        """
                        INSERT INTO host_figures (sweep_id, tcp_retransmit_bp, reclaim_efficiency_bp, cpu_some_bp, cpu_full_bp,
                                                  memory_some_bp, memory_full_bp, io_some_bp, io_full_bp)
                        VALUES ($sweep, $tcp, $reclaim, $cpuSome, $cpuFull, $memorySome, $memoryFull, $ioSome, $ioFull)
                        """,
                        ("$sweep", sweep), ("$tcp", BasisPoints(host.TcpRetransmitPercent)), ("$reclaim", BasisPoints(host.ReclaimEfficiencyPercent)),
                        ("$cpuSome", BasisPoints(host.CpuPressure?.SomePercent)), ("$cpuFull", BasisPoints(host.CpuPressure?.FullPercent)),
                        ("$memorySome", BasisPoints(host.MemoryPressure?.SomePercent)), ("$memoryFull", BasisPoints(host.MemoryPressure?.FullPercent)),
                        ("$ioSome", BasisPoints(host.IoPressure?.SomePercent)), ("$ioFull", BasisPoints(host.IoPressure?.FullPercent)));
                }

                transaction.Commit();
                foreach ((string name, long id) in newIds)
                {
                    _domainIds[name] = id;
                }
            });
        }
    }

    /// <summary>
    /// Deletes the sweeps taken before <paramref name="olderThan"/> (retention), with their domain and host figures,
    /// in one transaction; returns how many sweeps went. The file does not shrink: SQLite reuses the freed pages for
    /// the next sweeps, so a history pruned regularly stays at the size of its retention period.
    /// </summary>
    public int Prune(DateTimeOffset olderThan)
    {
        lock (_gate)
        {
            int deleted = 0;
            Guard(() =>
            {
                using SqliteTransaction transaction = _connection.BeginTransaction();
                var cutoff = ("$cutoff", (object?)olderThan.ToUnixTimeMilliseconds());
                Execute("DELETE FROM domain_figures WHERE sweep_id IN (SELECT id FROM sweep WHERE at_unix_ms < $cutoff)", cutoff);
                Execute("DELETE FROM host_figures WHERE sweep_id IN (SELECT id FROM sweep WHERE at_unix_ms < $cutoff)", cutoff);
                deleted = Execute("DELETE FROM sweep WHERE at_unix_ms < $cutoff", cutoff);
                transaction.Commit();
            });
            return deleted;
        }
    }

    /// <summary>
    /// The rows of the sweeps taken from <paramref name="since"/> (inclusive) until <paramref name="until"/>
    /// (exclusive; null: no end), oldest first.
    /// </summary>
    public HistoryRows Read(DateTimeOffset since, DateTimeOffset? until = null)
    {
        (string, object?)[] range = [("$since", since.ToUnixTimeMilliseconds()), ("$until", until?.ToUnixTimeMilliseconds() ?? long.MaxValue)];
        var domains = new List<DomainHistoryRow>();
        var host = new List<HostHistoryRow>();
        lock (_gate)
        {
            Guard(() =>
            {
                ForEachRow(
                    """
                    SELECT s.at_unix_ms, d.name, f.cpu_bp, f.ready_mean_bp, f.ready_max_bp, f.memory_overhead_bp, f.vcpu_ready
                    FROM sweep s
                    JOIN domain_figures f ON f.sweep_id = s.id
                    JOIN domain d ON d.id = f.domain_id
                    WHERE s.at_unix_ms >= $since AND s.at_unix_ms < $until
                    ORDER BY s.at_unix_ms, s.id, d.name
                    """,
                    range,
                    reader =>
                    {
                        domains.Add(new DomainHistoryRow(
                            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)),
                            reader.GetString(1),
                            Percent(reader.GetInt64(2)),
                            Percent(reader.GetInt64(3)),
                            Percent(reader.GetInt64(4)),
                            reader.IsDBNull(5) ? null : Percent(reader.GetInt64(5)),
                            VcpuReadyCodec.Decode((byte[])reader.GetValue(6)).Select(v => new VcpuReady(v.Vcpu, Percent(v.ReadyBp))).ToList()));
                    });

                ForEachRow(
                    """
                    SELECT s.at_unix_ms, h.tcp_retransmit_bp, h.reclaim_efficiency_bp, h.cpu_some_bp, h.cpu_full_bp,
                           h.memory_some_bp, h.memory_full_bp, h.io_some_bp, h.io_full_bp
                    FROM sweep s
                    JOIN host_figures h ON h.sweep_id = s.id
                    WHERE s.at_unix_ms >= $since AND s.at_unix_ms < $until
                    ORDER BY s.at_unix_ms, s.id
                    """,
                    range,
                    reader =>
                    {
                        double? Column(int i) => reader.IsDBNull(i) ? null : Percent(reader.GetInt64(i));
                        StallPercent? Stall(int some) => Column(some) is null && Column(some + 1) is null ? null : new StallPercent(Column(some), Column(some + 1));
                        host.Add(new HostHistoryRow(
                            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)),
                            new HostGauges(Column(1), Column(2), Stall(3), Stall(5), Stall(7))));
                    });
            });
        }

        return new HistoryRows(domains, host);
    }

    /// <summary>Checks the figures and encodes the vCPUs before the transaction starts, so a bad value writes nothing.</summary>
    private static List<(DomainFigures, byte[])> Prepare(IReadOnlyList<DomainFigures> figures)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<(DomainFigures, byte[])>(figures.Count);
        foreach (DomainFigures domain in figures)
        {
            if (!names.Add(domain.Domain))
            {
                throw new ArgumentException($"domain '{domain.Domain}' twice in one sweep", nameof(figures));
            }

            var vcpus = new List<(int, long)>();
            foreach (VcpuFigures vcpu in domain.Vcpus.OrderBy(v => v.Vcpu))
            {
                if (vcpus.Count > 0 && vcpus[^1].Item1 == vcpu.Vcpu)
                {
                    throw new ArgumentException($"vCPU {vcpu.Vcpu} twice in domain '{domain.Domain}'", nameof(figures));
                }

                if (vcpu.Vcpu < 0 || !(vcpu.ReadyPercent >= 0) || double.IsInfinity(vcpu.ReadyPercent))
                {
                    throw new ArgumentException($"domain '{domain.Domain}' vCPU {vcpu.Vcpu}: ready {vcpu.ReadyPercent} % is not a share of time", nameof(figures));
                }

                vcpus.Add((vcpu.Vcpu, BasisPoints(vcpu.ReadyPercent)));
            }

            foreach ((string name, double value) in new[] { ("cpu", domain.CpuPercent), ("ready", domain.ReadyPercent), ("ready max", domain.ReadyPercentMax), ("memory overhead", domain.MemoryOverheadPercent ?? 0) })
            {
                if (!double.IsFinite(value))
                {
                    throw new ArgumentException($"domain '{domain.Domain}': {name} {value} % is not a number", nameof(figures));
                }
            }

            rows.Add((domain, VcpuReadyCodec.Encode(vcpus)));
        }

        return rows;
    }

    private static long BasisPoints(double percent) => (long)Math.Round(percent * 100, MidpointRounding.AwayFromZero);

    private static long? BasisPoints(double? percent) =>
        percent is { } value && double.IsFinite(value) ? BasisPoints(value) : null;

    private static double Percent(long basisPoints) => basisPoints / 100.0;

    private long DomainId(string name, Dictionary<string, long> newIds)
    {
        if (_domainIds.TryGetValue(name, out long id) || newIds.TryGetValue(name, out id))
        {
            return id;
        }

        Execute("INSERT INTO domain (name) VALUES ($name) ON CONFLICT (name) DO NOTHING", ("$name", name));
        id = QueryInt64("SELECT id FROM domain WHERE name = $name", ("$name", name));
        newIds[name] = id;
        return id;
    }

    /// <summary>
    /// Runs database work, turning SQLite's failures into the environment error that names the file: a disk that is
    /// full or read-only, or a file damaged after it was opened.
    /// </summary>
    private void Guard(Action work)
    {
        try
        {
            work();
        }
        catch (SqliteException e)
        {
            throw new KvmConfigException(Rules.Unreadable, $"history database {Path}: {e.Message}", Path,
                e.SqliteErrorCode is 11 or 26 ? DamagedHint : WritableHint(Path), e);
        }
        catch (FormatException e)
        {
            throw new KvmConfigException(Rules.Unreadable, $"history database {Path} holds a row kvmconfig did not write: {e.Message}", Path, DamagedHint, e);
        }
    }

    private SqliteCommand Command(string sql, (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    private long QueryInt64(string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = Command(sql, parameters);
        return (long)command.ExecuteScalar()!;
    }

    private void ForEachRow(string sql, (string Name, object? Value)[] parameters, Action<SqliteDataReader> row)
    {
        using SqliteCommand command = Command(sql, parameters);
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            row(reader);
        }
    }
}
