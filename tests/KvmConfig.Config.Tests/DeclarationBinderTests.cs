using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Tests;

/// <summary>
/// Phase two: parsed files into a <see cref="Declaration"/>. A directory is written as one string, each file
/// starting with <c>--- NAME</c> (text before the first marker is <c>10-test.conf</c>); diagnostics as
/// <c>KVC015 info FILE:LINE:COL+LENGTH</c>, in the order the binder reports them.
/// </summary>
public sealed partial class DeclarationBinderTests
{
    private static VmSpec Vm(Declaration declaration, string name) => Assert.Single(declaration.Vms, v => v.Name == name);

    // ---- [host] -----------------------------------------------------------------------------------

    /// <summary>Rows: description, key, the built-in default (DESIGN.md section 3).</summary>
    public static TheoryData<string, string, string> HostDefaults => new()
    {
        { "cpuset: all online CPUs minus reserved, resolved against the host", "cpuset", "none" },
        { "reserved: CPU 0 and its siblings, resolved against the host", "reserved", "none" },
        { "pinning is strict", "cpuspinlock", "strict" },
        { "scheduling is other", "cpuscheduling", "other" },
        { "no overcommit", "overcommit", "1:1" },
        { "one VM takes at most a third", "max_vm_share", "1/3" },
        { "SMT prefer", "smt", "prefer" },
        { "emulator threads on the reserved CPUs", "emulator", "reserved" },
        { "strict memory policy", "numa", "strict" },
        { "no huge pages", "hugepages", "none" },
        { "2G kept for the host", "memory_reserved", "2048" },
        { "the governor is left alone", "cpufreq", "keep" },
        { "no frequency cap", "cpufreq_max", "none" },
    };

    [Theory]
    [MemberData(nameof(HostDefaults))]
    public void Host_defaults_apply_when_nothing_is_written(string description, string key, string expected)
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind("--- 00-cpu.conf\n# nothing set");

        Assert.Empty(diagnostics);
        Expect.Equal(description, expected, ConfigText.Value(declaration.Host, key));
    }

    /// <summary>Rows: description, the directory, the host key, its bound value.</summary>
    public static TheoryData<string, string, string, string> HostValues => new()
    {
        { "cpuset", "--- 00-cpu.conf\ncpuset = 1-9,11-19", "cpuset", "1-9,11-19" },
        { "the white paper's alias cpusets is cpuset", "--- 00-cpu.conf\ncpusets = 1-9,11-19", "cpuset", "1-9,11-19" },
        { "reserved with an exclusion", "--- 00-cpu.conf\nreserved = 0-3,^2", "reserved", "0-1,3" },
        { "float pinning", "--- 00-cpu.conf\ncpuspinlock = float", "cpuspinlock", "float" },
        { "real-time scheduling", "--- 00-cpu.conf\ncpuscheduling = rr:20", "cpuscheduling", "rr:20" },
        { "overcommit 1:5 is the top", "--- 00-cpu.conf\novercommit = 1:5", "overcommit", "1:5" },
        { "max_vm_share as a fraction", "--- 00-cpu.conf\nmax_vm_share = 1/2", "max_vm_share", "1/2" },
        { "smt isolate", "--- 00-cpu.conf\nsmt = isolate", "smt", "isolate" },
        { "1G huge pages", "--- 00-cpu.conf\nhugepages = 1G", "hugepages", "onegib" },
        { "memory_reserved in GiB", "--- 00-cpu.conf\nmemory_reserved = 8G", "memory_reserved", "8192" },
        { "a governor", "--- 00-cpu.conf\ncpufreq = performance", "cpufreq", "performance" },
        { "a cap in GHz", "--- 00-cpu.conf\ncpufreq_max = 3.0GHz", "cpufreq_max", "3000000kHz" },
        { "a cap in percent", "--- 00-cpu.conf\ncpufreq_max = 90%", "cpufreq_max", "90%" },
        { "an explicit [host] header in any file", "--- 50-site.conf\n[host]\nsmt = require", "smt", "require" },
        {
            "a later file's [host] key wins (drop-in)",
            "--- 00-cpu.conf\ncpuspinlock = float\nsmt = isolate\n--- 90-override.conf\n[host]\ncpuspinlock = none",
            "cpuspinlock", "none"
        },
        {
            "a later file keeps the earlier file's other keys",
            "--- 00-cpu.conf\ncpuspinlock = float\nsmt = isolate\n--- 90-override.conf\n[host]\ncpuspinlock = none",
            "smt", "isolate"
        },
        { "the same key twice in one section: the later line wins", "--- 00-cpu.conf\nsmt = isolate\nsmt = require", "smt", "require" },
        { "cpuset then its alias: the later line wins", "--- 00-cpu.conf\ncpuset = 1-4\ncpusets = 5-8", "cpuset", "5-8" },
        { "a bad value leaves the default", "--- 00-cpu.conf\nsmt = sometimes", "smt", "prefer" },
    };

    [Theory]
    [MemberData(nameof(HostValues))]
    public void Host_values_bind(string description, string directory, string key, string expected)
    {
        (Declaration declaration, _) = ConfigText.Bind(directory);

        Expect.Equal(description, expected, ConfigText.Value(declaration.Host, key));
    }

    // ---- [vm NAME] --------------------------------------------------------------------------------

    /// <summary>Rows: description, the directory, the VM, the key, its bound value.</summary>
    public static TheoryData<string, string, string, string, string> VmValues => new()
    {
        // vcpus and cpus
        { "the seed: cpus=1-4 under strict pinning gives 4 vCPUs", "--- 00-vm1.conf\ncpus=1-4", "vm1", "vcpus", "4" },
        { "the seed: cpus as written", "--- 00-vm1.conf\ncpus=1-4", "vm1", "cpus", "1-4" },
        { "exclusions count: 0-7,^3 is seven vCPUs", "[vm a]\ncpus = 0-7,^3", "a", "vcpus", "7" },
        { "an explicit vcpus wins over the size of cpus", "[vm a]\ncpus = 2-5\nvcpus = 2", "a", "vcpus", "2" },
        { "cpus left out is auto", "[vm a]\nvcpus = 2", "a", "cpus", "auto" },
        { "cpus = auto", "[vm a]\nvcpus = 2\ncpus = auto", "a", "cpus", "auto" },
        { "under float, vcpus comes from the profile", "[vm a]\ncpuspinlock = float\ncpus = 2-5\nprofile = database", "a", "vcpus", "2" },
        { "under float without a profile, one vCPU per CPU of cpus (the issue's cpus = 1-8)", "[vm a]\ncpuspinlock = float\ncpus = 1-8", "a", "vcpus", "8" },
        {
            "under strict, vcpus comes from cpus even with a profile (DESIGN.md: from cpus when strict, else from profile)",
            "[vm a]\nprofile = database\ncpus = 2-5", "a", "vcpus", "4"
        },
        { "a strict VM with cpus still takes the rest from its profile", "[vm a]\nprofile = database\ncpus = 2-5", "a", "memory", "4096" },

        // Host defaults inherited, unless the VM overrides them
        { "host smt = isolate is inherited", "--- 00-cpu.conf\nsmt = isolate\n--- 10-a.conf\nvcpus = 2", "a", "smt", "isolate" },
        { "the VM overrides host smt", "--- 00-cpu.conf\nsmt = isolate\n--- 10-a.conf\nvcpus = 2\nsmt = prefer", "a", "smt", "prefer" },
        { "host pinning is inherited", "--- 00-cpu.conf\ncpuspinlock = none\n--- 10-a.conf\nvcpus = 2", "a", "cpuspinlock", "none" },
        { "host scheduling is inherited", "--- 00-cpu.conf\ncpuscheduling = fifo:10\n--- 10-a.conf\nvcpus = 2", "a", "cpuscheduling", "fifo:10" },
        { "host emulator placement is inherited", "--- 00-cpu.conf\nemulator = isolate\n--- 10-a.conf\nvcpus = 2", "a", "emulator", "isolate" },
        { "host memory policy is inherited", "--- 00-cpu.conf\nnuma = interleave\n--- 10-a.conf\nvcpus = 2", "a", "numa", "interleave" },
        { "host huge pages are inherited", "--- 00-cpu.conf\nhugepages = 2M\n--- 10-a.conf\nvcpus = 2", "a", "hugepages", "twomib" },
        { "a later drop-in's host default reaches the VMs", "--- 00-cpu.conf\nsmt = isolate\n--- 10-a.conf\nvcpus = 2\n--- 99-host.conf\nsmt = require", "a", "smt", "require" },
        { "without any [host], pinning is the built-in strict", "[vm a]\nvcpus = 2", "a", "cpuspinlock", "strict" },

        // Plain VM keys
        { "cpu_weight defaults to 100", "[vm a]\nvcpus = 2", "a", "cpu_weight", "100" },
        { "vcpus_max: room for CPU hot add", "[vm a]\nvcpus = 2\nvcpus_max = 8", "a", "vcpus_max", "8" },
        { "vcpus_max left out keeps the domain's own", "[vm a]\nvcpus = 2", "a", "vcpus_max", "none" },
        { "cpu_weight", "[vm a]\nvcpus = 2\ncpu_weight = 10000", "a", "cpu_weight", "10000" },
        { "cpu_limit in CPUs", "[vm a]\nvcpus = 2\ncpu_limit = 1.5", "a", "cpu_limit", "1.5" },
        { "memory in MiB", "[vm a]\nvcpus = 2\nmemory = 16GiB", "a", "memory", "16384" },
        { "memory left out stays unmanaged", "[vm a]\nvcpus = 2", "a", "memory", "none" },
        { "numa_nodes as a node list", "[vm a]\nvcpus = 2\nnuma_nodes = 0-1", "a", "numa_nodes", "0-1" },
        { "disk_weight", "[vm a]\nvcpus = 2\ndisk_weight = 500", "a", "disk_weight", "500" },
        { "disk_read_bps in bytes/s", "[vm a]\nvcpus = 2\ndisk_read_bps = 100MB/s", "a", "disk_read_bps", "100000000" },
        { "disk_write_bps binary", "[vm a]\nvcpus = 2\ndisk_write_bps = 64MiB/s", "a", "disk_write_bps", "67108864" },
        { "disk_iops", "[vm a]\nvcpus = 2\ndisk_iops = 5000", "a", "disk_iops", "5000" },
        { "net_bandwidth in bits/s", "[vm a]\nvcpus = 2\nnet_bandwidth = 10Gbit", "a", "net_bandwidth", "10000000000" },
        { "group", "[vm a]\nvcpus = 2\ngroup = ledger-db", "a", "group", "ledger-db" },
        { "host (cluster placement)", "[vm a]\nvcpus = 2\nhost = node-b", "a", "host", "node-b" },

        // Built-in profiles: the seed's resource-needs matrix
        { "database: 2 vCPUs", "[vm db]\nprofile = database", "db", "vcpus", "2" },
        { "database: cpu_limit 1.5", "[vm db]\nprofile = database", "db", "cpu_limit", "1.5" },
        { "database: 4G is 4096 MiB", "[vm db]\nprofile = database", "db", "memory", "4096" },
        { "database: 500MB/s read is 500,000,000 bytes/s", "[vm db]\nprofile = database", "db", "disk_read_bps", "500000000" },
        { "database: 500MB/s write is 500,000,000 bytes/s", "[vm db]\nprofile = database", "db", "disk_write_bps", "500000000" },
        { "database: 1Gbit", "[vm db]\nprofile = database", "db", "net_bandwidth", "1000000000" },
        { "database: the profile is recorded", "[vm db]\nprofile = database", "db", "profile", "database" },
        { "web: 1 vCPU", "[vm w]\nprofile = web", "w", "vcpus", "1" },
        { "web: cpu_limit 0.8", "[vm w]\nprofile = web", "w", "cpu_limit", "0.8" },
        { "web: 2G", "[vm w]\nprofile = web", "w", "memory", "2048" },
        { "web: 200MB/s", "[vm w]\nprofile = web", "w", "disk_read_bps", "200000000" },
        { "web: 10Gbit", "[vm w]\nprofile = web", "w", "net_bandwidth", "10000000000" },
        { "monitoring: 1 vCPU", "[vm m]\nprofile = monitoring", "m", "vcpus", "1" },
        { "monitoring: cpu_limit 0.2", "[vm m]\nprofile = monitoring", "m", "cpu_limit", "0.2" },
        { "monitoring: 1G", "[vm m]\nprofile = monitoring", "m", "memory", "1024" },
        { "monitoring: 50MB/s", "[vm m]\nprofile = monitoring", "m", "disk_write_bps", "50000000" },
        { "monitoring: 100Mbit", "[vm m]\nprofile = monitoring", "m", "net_bandwidth", "100000000" },
        { "a VM's own key wins over its profile", "[vm db]\nprofile = database\nmemory = 8G", "db", "memory", "8192" },
        { "a profile does not set keys it lacks", "[vm db]\nprofile = database", "db", "disk_weight", "none" },
        {
            "a profile's key wins over the host default",
            "--- 00-cpu.conf\nsmt = isolate\n--- 10-p.conf\n[profile quiet]\nvcpus = 1\nsmt = prefer\n[vm q]\nprofile = quiet",
            "q", "smt", "prefer"
        },

        // User profiles
        {
            "[profile database] overriding memory changes memory",
            "--- 10-profiles.conf\n[profile database]\nmemory = 32G\n--- 20-db.conf\nprofile = database",
            "db", "memory", "32768"
        },
        {
            "[profile database] overriding memory keeps the built-in vcpus",
            "--- 10-profiles.conf\n[profile database]\nmemory = 32G\n--- 20-db.conf\nprofile = database",
            "db", "vcpus", "2"
        },
        {
            "[profile database] overriding memory keeps the built-in network rate",
            "--- 10-profiles.conf\n[profile database]\nmemory = 32G\n--- 20-db.conf\nprofile = database",
            "db", "net_bandwidth", "1000000000"
        },
        {
            "a new profile gives its vcpus",
            "--- 10-profiles.conf\n[profile batch]\nvcpus = 6\nmemory = 12G\ncpuspinlock = float\n--- 20-job.conf\nprofile = batch",
            "job", "vcpus", "6"
        },
        {
            "a new profile gives its pinning",
            "--- 10-profiles.conf\n[profile batch]\nvcpus = 6\nmemory = 12G\ncpuspinlock = float\n--- 20-job.conf\nprofile = batch",
            "job", "cpuspinlock", "float"
        },
        {
            "a new profile has no built-in keys",
            "--- 10-profiles.conf\n[profile batch]\nvcpus = 6\nmemory = 12G\n--- 20-job.conf\nprofile = batch",
            "job", "net_bandwidth", "none"
        },
        {
            "a later file's [profile] key wins",
            "--- 10-profiles.conf\n[profile batch]\nvcpus = 6\n--- 50-more.conf\n[profile batch]\nvcpus = 8\n--- 60-job.conf\nprofile = batch",
            "job", "vcpus", "8"
        },
    };

    [Theory]
    [MemberData(nameof(VmValues))]
    public void Vm_values_bind(string description, string directory, string vm, string key, string expected)
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(directory);

        Assert.True(diagnostics.All(d => d.Severity != Severity.Error), $"{description}: {ConfigText.Render(diagnostics)}");
        Expect.Equal(description, expected, ConfigText.Value(Vm(declaration, vm), key));
    }

    // ---- diagnostics ------------------------------------------------------------------------------

    /// <summary>Rows: description, the directory, every diagnostic the binder reports.</summary>
    public static TheoryData<string, string, string> Findings => new()
    {
        { "a clean declaration has no finding", "[vm a]\nvcpus = 2\nmemory = 4G", "" },

        // Drop-ins, duplicates
        {
            "a [host] key overridden by a later file is KVC015 info at the later key",
            "--- 00-cpu.conf\ncpuspinlock = float\n--- 50-b.conf\n[host]\ncpuspinlock = strict",
            "KVC015 info 50-b.conf:2:1+11"
        },
        { "the same key twice in one section is KVC013 warning at the second", "[vm a]\nvcpus = 2\nvcpus = 3", "KVC013 warning 10-test.conf:3:1+5" },
        { "an alias after its key is the same key twice", "--- 00-cpu.conf\ncpuset = 1-4\ncpusets = 5-8", "KVC013 warning 00-cpu.conf:2:1+7" },
        {
            "a VM declared in two files is KVC014 error at the second header",
            "--- 20-a.conf\n[vm a]\nvcpus = 2\n--- 30-b.conf\n[vm a]\nvcpus = 4",
            "KVC014 error 30-b.conf:1:1+6"
        },
        {
            "a VM implied by its file name and declared again",
            "--- 00-vm1.conf\ncpus=1-4\n--- 10-more.conf\n\n[vm vm1]\nvcpus = 2",
            "KVC018 info 00-vm1.conf:1:6+3 | KVC014 error 10-more.conf:2:1+8"
        },
        { "a VM declared twice in one file", "[vm a]\nvcpus=1\n[vm a]\nvcpus=1", "KVC014 error 10-test.conf:3:1+6" },
        {
            "[host] written twice in one file: the later section's key is reported as an override too",
            "--- 00-cpu.conf\nsmt = isolate\n[vm a]\nvcpus = 1\n[host]\nsmt = prefer",
            "KVC015 info 00-cpu.conf:5:1+3"
        },

        // vcpus
        { "vcpus derived from cpus under strict is KVC018 info at the cpus value", "--- 00-vm1.conf\ncpus=1-4", "KVC018 info 00-vm1.conf:1:6+3" },
        { "no vcpus under float and no profile: one per CPU of cpus, KVC018 info at the cpus value", "[vm a]\ncpuspinlock = float\ncpus = 2-5", "KVC018 info 10-test.conf:3:8+3" },
        { "a malformed vcpus under float is reported once, not defaulted", "[vm a]\ncpuspinlock = float\ncpus = 2-5\nvcpus = x", "KVC011 error 10-test.conf:4:9+1" },
        { "no vcpus under the shared pool is KVC017", "[vm a]\ncpuspinlock = none", "KVC017 error 10-test.conf:1:1+6" },
        { "no vcpus and cpus auto is KVC017", "[vm a]\ncpus = auto", "KVC017 error 10-test.conf:1:1+6" },
        { "an implied VM without vcpus: KVC017 at its first key", "--- 20-web1.conf\nmemory = 2G", "KVC017 error 20-web1.conf:1:1+6" },
        { "a malformed cpus is reported once, without a derived-vcpus error after it", "[vm a]\ncpus = 2-x", "KVC011 error 10-test.conf:2:10+1" },

        // Profiles
        { "an unknown profile is KVC016 at the value, and nothing else", "[vm db]\nprofile = databse", "KVC016 error 10-test.conf:2:11+7" },
        { "a malformed profile name is KVC011, and nothing else", "[vm db]\nprofile = data base", "KVC011 error 10-test.conf:2:11+9" },
        {
            "a bad value in a [profile] is reported once, at the profile, however many VMs use it",
            "[profile big]\nmemory = 12X\nvcpus = 4\n[vm a]\nprofile = big\n[vm b]\nprofile = big",
            "KVC011 error 10-test.conf:2:12+1"
        },

        // Keys
        { "an unknown key is KVC010 at the key", "[vm a]\nvcpus = 2\ncpu = 1-4", "KVC010 error 10-test.conf:3:1+3" },
        { "a [host]-only key in a [vm] is KVC010", "[vm a]\nvcpus = 2\novercommit = 1:2", "KVC010 error 10-test.conf:3:1+10" },
        { "a [vm]-only key in a [profile] is KVC010", "[profile p]\ncpus = 1-2", "KVC010 error 10-test.conf:2:1+4" },
        { "a [cost] key in [host] is KVC010", "[host]\npue = 1.2", "KVC010 error 10-test.conf:2:1+3" },

        // Values: out of range, on the whole value
        { "overcommit = 1:9 is KVC012", "[host]\novercommit = 1:9", "KVC012 error 10-test.conf:2:14+3" },
        { "overcommit = 2:3 is KVC012", "[host]\novercommit = 2:3", "KVC012 error 10-test.conf:2:14+3" },
        { "vcpus = 0 is KVC012, without a missing-vcpus error after it", "[vm a]\nvcpus = 0", "KVC012 error 10-test.conf:2:9+1" },
        { "cpu_weight = 0 is KVC012", "[vm a]\nvcpus = 1\ncpu_weight = 0", "KVC012 error 10-test.conf:3:14+1" },
        { "disk_weight = 50 is KVC012", "[vm a]\nvcpus = 1\ndisk_weight = 50", "KVC012 error 10-test.conf:3:15+2" },
        { "memory = 0G is KVC012: a VM needs memory", "[vm a]\nvcpus = 1\nmemory = 0G", "KVC012 error 10-test.conf:3:10+2" },
        { "max_vm_share = 4/3 is KVC012", "[host]\nmax_vm_share = 4/3", "KVC012 error 10-test.conf:2:16+3" },

        // Values: bad form, carets on the bad part
        { "memory = 12X: the caret on X", "[vm a]\nvcpus = 1\nmemory = 12X", "KVC011 error 10-test.conf:3:12+1" },
        { "vcpus_max = 0 is KVC012", "[vm a]\nvcpus = 1\nvcpus_max = 0", "KVC012 error 10-test.conf:3:13+1" },
        { "fifo:0: the caret on the priority", "[vm a]\nvcpus = 1\ncpuscheduling = fifo:0", "KVC012 error 10-test.conf:3:22+1" },
        { "a malformed cpulist: the caret on the bad item", "[host]\nreserved = 0,,1", "KVC011 error 10-test.conf:2:14+1" },
        { "an unknown rate unit: carets under the unit", "[vm a]\nvcpus = 1\nnet_bandwidth = 1Gbps", "KVC011 error 10-test.conf:3:18+4" },
        { "a word that is no choice: on the whole value", "[host]\ncpuspinlock = stict", "KVC011 error 10-test.conf:2:15+5" },
        { "an empty value is KVC011 at the end of the line", "[host]\nsmt =", "KVC011 error 10-test.conf:2:6+0" },
        { "a boolean-looking value for a choice", "[host]\nsmt = yes", "KVC011 error 10-test.conf:2:7+3" },

        // [cost]
        { "[cost] keys bind without findings", "[cost]\ncurrency = USD\nhost_price = 12000\npue = 1.4", "" },
        { "a lower-case currency is KVC011", "[cost]\ncurrency = usd", "KVC011 error 10-test.conf:2:12+3" },
        { "pue below 1 is KVC012", "[cost]\npue = 0.9", "KVC012 error 10-test.conf:2:7+3" },
        { "amortization_years = 0 is KVC012", "[cost]\namortization_years = 0", "KVC012 error 10-test.conf:2:22+1" },
        {
            "[cost] in two files is a drop-in too",
            "--- 00-cost.conf\n[cost]\npue = 1.4\n--- 90-cost.conf\n[cost]\npue = 1.2",
            "KVC015 info 90-cost.conf:2:1+3"
        },
    };

    [Theory]
    [MemberData(nameof(Findings))]
    public void Reports_findings_where_they_are(string description, string directory, string expected)
    {
        (_, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(directory);

        Expect.Equal(description, expected, ConfigText.Render(diagnostics));
    }

    /// <summary>Rows: description, the directory, the one diagnostic's code, a piece of its hint.</summary>
    public static TheoryData<string, string, string, string> Hints => new()
    {
        { "cpu = 1-4 suggests cpus", "[vm a]\nvcpus = 2\ncpu = 1-4", "KVC010", "did you mean 'cpus'?" },
        { "cpuspinlok suggests cpuspinlock", "[host]\ncpuspinlok = float", "KVC010", "did you mean 'cpuspinlock'?" },
        { "memroy suggests memory", "[vm a]\nvcpus = 2\nmemroy = 4G", "KVC010", "did you mean 'memory'?" },
        { "a key far from any points at the reference", "[vm a]\nvcpus = 2\ncolour = red", "KVC010", "see docs/configuration.md for the keys of [vm]" },
        { "a [host]-only key in a [vm] says it belongs in [host]", "[vm a]\nvcpus = 2\novercommit = 1:2", "KVC010", "'overcommit' belongs in [host], not in [vm]" },
        { "the alias in a [vm] names the canonical key", "[vm a]\nvcpus = 2\ncpusets = 1-4", "KVC010", "'cpuset' belongs in [host], not in [vm]" },
        { "a [vm] key in [host] says where it belongs", "[host]\nvcpus = 4", "KVC010", "'vcpus' belongs in [vm] or [profile], not in [host]" },
        { "an unknown profile suggests the nearest", "[vm db]\nprofile = databse", "KVC016", "did you mean 'database'?" },
        { "an unknown profile far from any lists them", "[vm db]\nprofile = olap", "KVC016", "use one of: database, monitoring, web" },
        { "a declared profile is offered too", "[profile batch]\nvcpus = 4\n[vm j]\nprofile = bacth", "KVC016", "did you mean 'batch'?" },
        { "a choice typo suggests the word", "[host]\ncpuspinlock = stict", "KVC011", "did you mean 'strict'?" },
        { "fifo without a priority names libvirt's range and the interrupt threads' priority", "[vm a]\nvcpus = 1\ncpuscheduling = fifo", "KVC011", "stay below 50, where the kernel runs its threaded interrupt handlers" },
        { "overcommit out of range says the range", "[host]\novercommit = 1:9", "KVC012", "write 1:N with N from 1" },
        { "missing vcpus lists the three ways to get them", "[vm a]\ncpuspinlock = float", "KVC017", "add vcpus = N, or cpus = LIST (one vCPU per CPU), or profile =" },
        { "a duplicate key says to delete one line", "[vm a]\nvcpus = 2\nvcpus = 2", "KVC013", "delete one of the two lines" },
        { "a drop-in override explains lexical order", "--- 00-cpu.conf\nsmt = isolate\n--- 10-host.conf\nsmt = prefer", "KVC015", "the last one wins" },
    };

    [Theory]
    [MemberData(nameof(Hints))]
    public void Hints_say_how_to_fix_it(string description, string directory, string code, string hint)
    {
        (_, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(directory);

        Diagnostic d = Assert.Single(diagnostics, x => x.Code == code);
        Expect.Contains(description, hint, d.Hint);
    }

    [Fact]
    public void A_drop_in_override_names_the_earlier_file_and_points_at_its_value()
    {
        // Given 00-cpu.conf sets float and a later drop-in sets strict
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) =
            ConfigText.Bind("--- 00-cpu.conf\n# host\ncpuspinlock = float\n--- 50-b.conf\n[host]\ncpuspinlock = strict");

        // Then the later file wins, and the info says what it replaced and where
        Assert.Equal(PinningMode.Strict, declaration.Host.Pinning);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal(Rules.HostOverride, d.Descriptor);
        Assert.Equal(Severity.Info, d.Severity);
        Assert.Equal("[host] cpuspinlock = strict overrides float from 00-cpu.conf", d.Message);
        DiagnosticNote note = Assert.Single(d.Notes!);
        Assert.Equal("00-cpu.conf:2:15+5", ConfigText.Render(note.Span));

        // And the host's origin for the key is the winning value
        Assert.Equal("50-b.conf:2:15+6", ConfigText.Render(declaration.Host.Origins.Of("cpuspinlock")));
    }

    [Fact]
    public void A_VM_declared_twice_keeps_the_first_and_points_back_at_it()
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) =
            ConfigText.Bind("--- 20-a.conf\n[vm a]\nvcpus = 2\n--- 30-b.conf\n# again\n[vm a]\nvcpus = 4");

        Assert.Equal(2, Vm(declaration, "a").Vcpus);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal(Rules.DuplicateVm, d.Descriptor);
        Assert.Equal(Severity.Error, d.Severity);
        Assert.Equal("VM 'a' is declared twice", d.Message);
        Assert.Equal("30-b.conf:2:1+6", ConfigText.Render(d.Span));
        DiagnosticNote note = Assert.Single(d.Notes!);
        Assert.Equal("first declared here", note.Message);
        Assert.Equal("20-a.conf:1:1+6", ConfigText.Render(note.Span));
    }

    [Fact]
    public void A_key_set_twice_keeps_the_later_value_and_points_back_at_the_first()
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind("[vm a]\nvcpus = 2\nmemory = 2G\nvcpus = 3");

        Assert.Equal(3, Vm(declaration, "a").Vcpus);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal(Severity.Warning, d.Severity);
        Assert.Equal("'vcpus' is set twice in [vm a]; '3' replaces '2'", d.Message);
        Assert.Equal("10-test.conf:2:1+5", ConfigText.Render(Assert.Single(d.Notes!).Span));
    }

    [Fact]
    public void Derived_vcpus_say_where_they_came_from()
    {
        (_, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind("--- 00-vm1.conf\ncpus=1-4");

        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal(Rules.Defaulted, d.Descriptor);
        Assert.Equal("VM 'vm1' gets vcpus = 4, one per CPU of cpus = 1-4", d.Message);
    }

    [Fact]
    public void A_VM_that_cannot_be_built_is_left_out_and_the_others_stay()
    {
        (Declaration declaration, _) = ConfigText.Bind("[vm broken]\ncpuspinlock = float\n[vm ok]\nvcpus = 1");

        Assert.Equal(new[] { "ok" }, declaration.Vms.Select(v => v.Name));
    }

    [Fact]
    public void VMs_keep_file_order()
    {
        (Declaration declaration, _) = ConfigText.Bind("--- 00-vm1.conf\ncpus=1-4\n--- 10-x.conf\n[vm c]\nvcpus=1\n[vm b]\nvcpus=1");

        Assert.Equal(new[] { "vm1", "c", "b" }, declaration.Vms.Select(v => v.Name));
    }

    [Fact]
    public void Origins_point_at_values_profile_lines_and_headers()
    {
        // Given a VM with its own cpus, memory from its profile, and numa from nowhere
        (Declaration declaration, _) = ConfigText.Bind("--- 20-db1.conf\n# primary\nprofile = database\ncpus = 1-2,5-6");
        VmSpec vm = Vm(declaration, "db1");

        // Then cpus points at its value, a profile's value at 'profile = ...', an unset key at the header
        Assert.Equal("20-db1.conf:3:8+7", ConfigText.Render(vm.Origins.Of("cpus")));
        Assert.Equal("20-db1.conf:2:11+8", ConfigText.Render(vm.Origins.Of("memory")));
        Assert.Equal("20-db1.conf:2:1+7", ConfigText.Render(vm.Origins.Of("numa")));
        Assert.True(vm.Origins.Declared("cpus"));
        Assert.False(vm.Origins.Declared("numa"));
    }

    [Fact]
    public void A_user_profile_value_originates_in_the_profile_section()
    {
        (Declaration declaration, _) = ConfigText.Bind("--- 10-p.conf\n[profile database]\nmemory = 32G\n--- 20-db.conf\nprofile = database");

        Assert.Equal("10-p.conf:2:10+3", ConfigText.Render(Vm(declaration, "db").Origins.Of("memory")));
    }

    [Fact]
    public void Profiles_include_built_ins_and_declared_ones_with_user_values_over_built_ins()
    {
        (Declaration declaration, _) = ConfigText.Bind("[profile database]\nmemory = 32G\n[profile batch]\nvcpus = 6");

        Assert.Equal(new[] { "batch", "database", "monitoring", "web" }, declaration.Profiles.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("32G", declaration.Profiles["database"].Values["memory"]);
        Assert.Equal("1Gbit", declaration.Profiles["database"].Values["net_bandwidth"]);
        Assert.Equal("6", declaration.Profiles["batch"].Values["vcpus"]);
        Assert.Equal("10-test.conf:2:10+3", ConfigText.Render(declaration.Profiles["database"].Origins.Of("memory")));
    }

    [Fact]
    public void Cost_keys_bind()
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(
            "[cost]\ncurrency = USD\nhost_price = 12000\namortization_years = 4\npower_watts = 350\n"
            + "energy_price_kwh = 0.25\npue = 1.4\nopex_per_host_year = 800.50");

        Assert.Empty(diagnostics);
        CostSpec cost = declaration.Cost;
        Assert.Equal("USD", cost.Currency);
        Assert.Equal(12000m, cost.HostPrice);
        Assert.Equal(4m, cost.AmortizationYears);
        Assert.Equal(350m, cost.PowerWatts);
        Assert.Equal(0.25m, cost.EnergyPricePerKWh);
        Assert.Equal(1.4m, cost.Pue);
        Assert.Equal(800.50m, cost.OpexPerHostYear);
        Assert.Equal("10-test.conf:7:7+3", ConfigText.Render(cost.Origins.Of("pue")));
    }

    [Fact]
    public void Cost_defaults()
    {
        (Declaration declaration, _) = ConfigText.Bind("# nothing");

        Assert.Equal(new CostSpec(), declaration.Cost with { Origins = Origins.None });
    }

    [Fact]
    public void The_white_paper_seed_binds_as_written()
    {
        // Given examples/seed: the host policy and the two-line 00-vm1.conf
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(
            "--- 00-cpu.conf\nreserved = 0,10\ncpusets = 1-9,11-19\ncpuspinlock = strict\ncpuscheduling = other\n"
            + "overcommit = 1:1\nmax_vm_share = 1/3\ncpufreq = performance\n--- 00-vm1.conf\ncpus=1-4");

        Assert.Equal(new[] { "KVC018" }, diagnostics.Select(d => d.Code));
        Assert.Equal("1-9,11-19", declaration.Host.CpuSet!.ToString());
        Assert.Equal("0,10", declaration.Host.Reserved!.ToString());
        VmSpec vm = Vm(declaration, "vm1");
        Assert.Equal(4, vm.Vcpus);
        Assert.Equal(PinningMode.Strict, vm.Pinning);
        Assert.Null(vm.MemoryMiB);
    }
}
