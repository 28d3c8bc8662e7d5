using KvmConfig.Cli.Check;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Core;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli;

/// <summary>The composition root: commands, help, and the mapping of failures to exit codes.</summary>
internal static class KvmConfigApp
{
    public static int Run(string[] args)
    {
        // Spectre would print it too, but on its own console; through Console.Out it goes where the caller redirected.
        if (args is ["--version"] or ["-v"])
        {
            Console.Out.WriteLine(ProductVersion.Text);
            return ExitCodes.Ok;
        }

        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("kvmconfig");
            config.SetApplicationVersion(ProductVersion.Text);
            config.Settings.StrictParsing = true;
            config.ConfigureConsole(HelpLayout.Console());
            config.SetHelpProvider(new HelpLayout(config.Settings));
            config.AddCommand<Topology.TopologyCommand>("topology")
                .WithDescription("Show the host as kvmconfig sees it: sockets, NUMA nodes (memory, hugepages, distances), cores, SMT siblings, L3 groups, isolated and offline CPUs. Exit codes: 0 shown, 2 could not read the host (missing or non-sysfs sysroot, unreadable file).")
                .WithExample("topology")
                .WithExample("topology", "--format", "parse")
                .WithExample("topology", "--sysroot", "tests/data/sysfs/xeon-2s-4numa-snc-80cpu", "--format", "json");
            config.AddCommand<CheckCommand>("check")
                .WithDescription("Validate /etc/kvmconfig.d against this host and the rules; print file:line diagnostics. " + ExitCodes.Help)
                .WithExample("check")
                .WithExample("check", "--config-dir", "examples/seed", "--sysroot", "tests/data/sysfs/desktop-1s-20cpu")
                .WithExample("check", "--format", "json", "--verbose");
            config.AddCommand<Doctor.DoctorCommand>("doctor")
                .WithDescription("Is this host ready for the declared VMs? PASS, WARN, FAIL or UNKNOWN per check, each with what was seen, why it matters for these VMs and the fix: hardware virtualisation, IOMMU, sVirt confinement, libvirt version, cgroup version, schedstats, THP and KSM, vm.swappiness, vm.overcommit_memory, net.core.somaxconn, huge pages per NUMA node, CPU frequency, isolcpus/nohz_full/irqbalance, memory left for the host. A file that cannot be read makes its check UNKNOWN, never PASS. Exit codes: 0 nothing failed (warnings and unknowns allowed), 1 a check failed, 2 could not run (no configuration directory, KVC090; a sysroot without sys/, and the like).")
                .WithExample("doctor")
                .WithExample("doctor", "--format", "json")
                .WithExample("doctor", "--config-dir", "examples/seed", "--sysroot", "tests/data/hosts/ready-intel-apparmor");
            config.AddCommand<Plan.PlanCommand>("plan")
                .WithDescription("Check the declaration, then place every VM on this host: a table (CPUs, vCPU pinning, nodes, memory, huge pages, emulator CPUs), a CPU map per NUMA node and the fragmentation left; --explain says why, --svg draws it. A declaration that cannot be placed prints check's errors (KVC047) and no plan. " + ExitCodes.Help)
                .WithExample("plan")
                .WithExample("plan", "--config-dir", "examples/finance", "--sysroot", "tests/data/sysfs/xeon-2s-4numa-snc-80cpu", "--explain")
                .WithExample("plan", "--format", "json")
                .WithExample("plan", "--svg", "plan.svg");
            config.AddCommand<Status.StatusCommand>("status")
                .WithDescription("For every declared VM, its domain's state and desired against actual: the persistent definition (virsh dumpxml --inactive) and, for a running domain, its live vCPU and emulator pinning, CPU weight and cap, NUMA mode and nodeset. Drift is highlighted; domains no declaration names are listed as unmanaged. Domains are read read-only from libvirt at --connect (default " + ConnectSettings.DefaultUri + "). A declaration with errors prints check's findings. " + Status.StatusCommand.ExitHelp)
                .WithExample("status")
                .WithExample("status", "--config-dir", "/etc/kvmconfig.d", "--format", "json")
                .WithExample("status", "--connect", "qemu+ssh://root@kvm1/system");
            config.AddBranch("cluster", cluster =>
            {
                cluster.SetDescription("Many hosts: the [[node NAME]] sections of the configuration directory are the cluster's inventory.");
                cluster.AddCommand<Cluster.ClusterPlanCommand>("plan")
                    .WithDescription("Place every declared VM on a node so that the node's own planner can place it (NUMA fit, whole cores, memory, huge pages, overcommit and the rules), honouring host, group and --ha; show each node's VMs and use, the VMs that move or fit nowhere and why, and the nodes used against a lower bound. Exit codes: 0 every VM placed, 1 the declaration has errors or some VM fits nowhere, 2 could not run (a node cannot be read without --skip-unreachable, no [[node]] sections, bad usage).")
                    .WithExample("cluster", "plan")
                    .WithExample("cluster", "plan", "--exact", "--time-limit", "30s")
                    .WithExample("cluster", "plan", "--policy", "spread", "--ha", "1", "--format", "json")
                    .WithExample("cluster", "plan", "--node", "kvm2")
                    .WithExample("cluster", "plan", "--svg", "cluster.svg");
                cluster.AddCommand<Cluster.ClusterStatusCommand>("status")
                    .WithDescription("Read every node in parallel and show, per node, whether it answered, its VMs running and defined and what they use of it, declared VMs on another node than the plan's, undeclared domains, and drift as status reports it. Exit codes: 0 in sync, 3 drift (or a VM on the wrong node, or one that fits nowhere), 2 a node cannot be read, no [[node]] sections, or bad usage.")
                    .WithExample("cluster", "status")
                    .WithExample("cluster", "status", "--format", "json")
                    .WithExample("cluster", "status", "--node-timeout", "5s");
            });
            config.AddBranch("export", export =>
            {
                export.SetDescription("Write what kvmconfig knows in another tool's format.");
                export.AddCommand<Export.ExportAnsibleInventoryCommand>("ansible-inventory")
                    .WithDescription("Write an Ansible inventory from the cluster's [[node NAME]] sections, for the kvmconfig role of deploy/ansible (docs/ansible.md): each node a host named after it, with ansible_host, ansible_user (and ansible_port for qemu+ssh) from its uri where it names them, kvmconfig_rack, kvmconfig_libvirt_uri and kvmconfig_config_src (the node's own kvmconfig.d on the controller: the directory named after it beside the .conf files); each rack a group rack_NAME. Exit codes: 0 written, 1 the declaration has errors (check's findings, no inventory written), 2 could not run (no [[node]] sections, KVC081; --output not writable; bad usage).")
                    .WithExample("export", "ansible-inventory")
                    .WithExample("export", "ansible-inventory", "--config-dir", "/srv/cluster.d", "--output", "inventory.yml")
                    .WithExample("export", "ansible-inventory", "--format", "ini");
            });
            config.AddCommand<Cost.CapacityCommand>("capacity")
                .WithDescription("How many nodes of a shape a mix of VMs needs, found by the cluster placement itself (NUMA fit, whole cores, overcommit and the rules, not a division): the use of each dimension, the headroom, the dimension that binds and the largest VM of each kind that still fits; --nodes N: how many more VMs of each kind N nodes take; --from-history: when this host's VMs, growing as serve's history shows, need another node (their CPU use and memory forecast against the node's CPUs and memory, with a 95 % interval); --history [[NODE=]]FILE once per node asks it of the cluster. Exit codes: 0 shown, 1 the mix does not fit (or the declaration has errors), 2 could not run (a profile neither built in nor declared, KVC016; --ha at least --nodes, KVC082; bad --mix or --shape, bad usage; with --from-history, no history, a file that is not one or of a newer schema, KVC093, or one too short to forecast, KVC084; a NODE= the inventory lacks, KVC081).")
                .WithExample("capacity", "--mix", "database=40,web=100,monitoring=20", "--shape", "2x2x16x2,512G")
                .WithExample("capacity", "--mix", "database=10,web=30", "--node-like", "kvm1", "--ha", "1")
                .WithExample("capacity", "--mix", "database=40,web=100", "--shape", "2x1x16x2,256G", "--nodes", "4", "--format", "json")
                .WithExample("capacity", "--from-history", "--history", "/var/lib/kvmconfig/history.db", "--horizon", "30d")
                .WithExample("capacity", "--from-history", "--history", "kvm1=kvm1.db", "--history", "kvm2=kvm2.db");
            config.AddCommand<Cost.TcoCommand>("tco")
                .WithDescription("What the cluster costs over some years, per year and per VM-month, from [[cost]] (the white paper's figures by default: per node 6,250 of hardware and 3,000 of licences once, 750 of energy and 2,000 of operations a year), licence shown apart, with the arithmetic and where each input came from. Nodes: --nodes, else those the cluster plan uses, else 1. --compare kvm,vsphere prices [[cost NAME]] scenarios (each [[cost]] with some keys overridden) side by side. Exit codes: 0 shown, 1 the declaration has errors (a [[cost]] or [[cost NAME]] value that is negative or not a number, KVC011), 2 could not run (an unknown scenario, KVC083; bad usage); on 1 and 2 no report and no page is written.")
                .WithExample("tco", "--nodes", "4", "--years", "3")
                .WithExample("tco", "--nodes", "4", "--years", "3", "--compare", "kvm,vsphere")
                .WithExample("tco", "--format", "json")
                .WithExample("tco", "--years", "5", "--html", "tco.html");
            config.AddCommand<Apply.ApplyCommand>("apply")
                .WithDescription("Check and plan the declaration, then push the plan to libvirt for every declared VM: a per-VM diff of the elements kvmconfig owns, a journal of every VM it will touch, then the persistent definitions and the live pinning, weights and caps of running VMs. All or nothing: when a step fails, every VM already changed is restored. VMs that are not declared are never touched. Exit codes: 0 applied or nothing to change, 1 declaration errors, 2 could not run (libvirt unreachable, unknown VM, lock held, journal not writable, no confirmation), 4 a step failed and everything was restored, 5 the restore failed too.")
                .WithExample("apply", "--dry-run")
                .WithExample("apply", "--yes")
                .WithExample("apply", "--connect", "qemu+ssh://root@kvm1/system", "--config-dir", "/srv/kvm1.d");
            config.AddCommand<Apply.RollbackCommand>("rollback")
                .WithDescription("Put every VM of an apply's journal back as it was before that apply (persistent XML and live state); the newest journal unless one is named. Exit codes: 0 restored or nothing to restore, 2 could not run, 5 a restore failed.")
                .WithExample("rollback", "--dry-run")
                .WithExample("rollback", "--yes")
                .WithExample("rollback", "/var/lib/kvmconfig/journal/20261126T201500.123Z", "--yes");
            config.AddCommand<Tune.TuneCommand>("tune")
                .WithDescription("Check the declaration, then set on this host what kvmconfig owns: the sysctl drop-in /etc/sysctl.d/90-kvmconfig.conf and its values (as sysctl --system applies them), turbo off for cpufreq_max = base (intel_pstate/no_turbo or cpufreq/boost), the cpufreq governor (cpufreq) and cap (cpufreq_max, scaling_max_freq) of the cpufreq policies holding the VMs' CPUs, and each NUMA node's huge page pool raised to what the plan puts there, read back to see what the kernel granted. Every value is journaled before it is written; --revert puts back the newest journal's values. " + Tune.TuneCommand.ExitHelp)
                .WithExample("tune", "--dry-run")
                .WithExample("tune", "--yes")
                .WithExample("tune", "--revert", "--yes")
                .WithExample("tune", "--sysroot", "/srv/host-copy", "--config-dir", "/srv/host-copy/etc/kvmconfig.d", "--dry-run", "--format", "json");
            config.AddCommand<Top.TopCommand>("top")
                .WithDescription(Markup.Escape("Watch contention on a host: CPU ready % per vCPU (run-queue wait, what guests see as steal), CPU use, memory overhead, disk queue depth and latency, network throughput and CPU-quota throttling of every running domain, and the host's TCP retransmits, page-reclaim efficiency, pressure and disk queues, with the [alerts] thresholds. This host is read from /proc; a remote one (--connect qemu+ssh://...) through libvirt's bulk statistics. Refreshes in place on a terminal; --once prints one sample after one interval. " + Top.TopCommand.ExitHelp))
                .WithExample("top")
                .WithExample("top", "--interval", "5s")
                .WithExample("top", "--once", "--format", "json")
                .WithExample("top", "--connect", "qemu+ssh://root@kvm1/system");
            config.AddCommand<Serve.ServeCommand>("serve")
                .WithDescription(Markup.Escape("Export a host's contention figures to Prometheus: samples every running domain in the background (CPU ready per vCPU, CPU use, memory overhead, disk and network counters, CPU-quota throttling; the host's retransmits, reclaim efficiency, pressure and disk queues; a remote host through libvirt's bulk statistics), serves /metrics and /healthz on a loopback address unless told otherwise, keeps each interval's figures in an SQLite history, and logs [alerts] crossings and clearings to stderr. Survives libvirtd restarts (/healthz says degraded meanwhile). Runs until Ctrl+C or SIGTERM. " + Serve.ServeCommand.ExitHelp))
                .WithExample("serve")
                .WithExample("serve", "--listen", "127.0.0.1:9477", "--interval", "10s", "--history", "/var/lib/kvmconfig/history.db", "--retention", "7d")
                .WithExample("serve", "--listen", "0.0.0.0:9477", "--no-history")
                .WithExample("serve", "--connect", "qemu+tls://kvm1/system", "--listen", "127.0.0.1:9478");
            config.AddCommand<Report.ReportCommand>("report")
                .WithDescription(Markup.Escape("Summarise serve's history over a time range: the worst offenders by CPU ready (highest vCPU and mean), memory overhead and disk queue depth, the host's extremes and the alerts raised, as text or JSON; --html FILE writes one self-contained HTML file with inline SVG charts of ready %, memory overhead and disk queue per VM over time, the [alerts] thresholds drawn; --forecast adds when each VM's and the host's figures are expected to reach their thresholds (Holt-Winters with a daily season, 95 % interval) and draws the forecast band. Reads the history without writing to it. " + Report.ReportCommand.ExitHelp))
                .WithExample("report")
                .WithExample("report", "--since", "7d", "--html", "report.html")
                .WithExample("report", "--forecast", "--horizon", "30d", "--html", "report.html")
                .WithExample("report", "--history", "/var/lib/kvmconfig/history.db", "--since", "2025-03-01T00:00Z", "--until", "2025-03-02T00:00Z", "--format", "json");
            config.SetExceptionHandler((exception, _) => Fail(exception));
        });
        return app.Run(args);
    }

    // Environment failures carry a code and a hint; anything else is a bug or a usage error, shown without a stack trace.
    private static int Fail(Exception exception)
    {
        switch (exception)
        {
            case KvmConfigException k:
                FailureRenderer.Write(k);
                return ExitCodes.CouldNotRun;
            case CommandAppException:
                FailureRenderer.Write(null, exception.Message, ("hint", "kvmconfig --help lists the commands; kvmconfig COMMAND --help their options"));
                return ExitCodes.CouldNotRun;
            default:
                FailureRenderer.Write(null, $"internal failure: {exception.GetType().Name}: {exception.Message}",
                    ("hint", "this is a kvmconfig bug; run with KVMCONFIG_DEBUG=1 for the stack trace and report it"));
                if (Environment.GetEnvironmentVariable("KVMCONFIG_DEBUG") is not null)
                {
                    Console.Error.WriteLine(exception);
                }

                return ExitCodes.CouldNotRun;
        }
    }
}
