namespace KvmConfig.Core.Tuning;

/// <summary>
/// One cpufreq policy as the kernel shows it (<c>/sys/devices/system/cpu/cpufreq/policyN</c>, or <c>cpuN/cpufreq</c>
/// before Linux 4.6): a group of CPUs that switch frequency together. Frequencies in kHz, as the kernel writes them.
/// </summary>
/// <param name="Directory">The policy's directory as a path on the host (<c>/sys/devices/system/cpu/cpufreq/policy0</c>).</param>
/// <param name="Cpus">Its CPUs (<c>related_cpus</c>, else <c>affected_cpus</c>).</param>
/// <param name="Governors"><c>scaling_available_governors</c>.</param>
/// <param name="Governor"><c>scaling_governor</c>; null when missing.</param>
/// <param name="ScalingMaxKHz"><c>scaling_max_freq</c>, the cap in force; null when missing.</param>
/// <param name="MinKHz"><c>cpuinfo_min_freq</c>, the hardware's lowest clock.</param>
/// <param name="MaxKHz"><c>cpuinfo_max_freq</c>, the hardware's highest (with intel_pstate, the top of the turbo range).</param>
/// <param name="BaseKHz"><c>base_frequency</c> (intel_pstate with HWP): the rated non-turbo clock; null elsewhere.</param>
public sealed record CpuFreqPolicyFacts(
    string Directory,
    CpuSet Cpus,
    IReadOnlyList<string> Governors,
    string? Governor,
    long? ScalingMaxKHz,
    long? MinKHz,
    long? MaxKHz,
    long? BaseKHz);

/// <summary>
/// The host-wide turbo switch: <c>/sys/devices/system/cpu/intel_pstate/no_turbo</c> (1 = turbo off) or, for the
/// other drivers, <c>/sys/devices/system/cpu/cpufreq/boost</c> (0 = boost off).
/// </summary>
/// <param name="Path">The file, as a path on the host.</param>
/// <param name="Current">What it holds now.</param>
/// <param name="Off">What turns turbo off: <c>1</c> for no_turbo, <c>0</c> for boost.</param>
public sealed record TurboSwitch(string Path, string Current, string Off);

/// <summary>A kernel parameter under <c>/proc/sys</c> and its value now (null: the kernel has no such key).</summary>
public sealed record SysctlFacts(string Key, string? Current)
{
    /// <summary>The key's file on the host: <c>vm.swappiness</c> is <c>/proc/sys/vm/swappiness</c>.</summary>
    public string Path => SysctlPath(Key);

    /// <summary>The file of sysctl key <paramref name="key"/>: dots become slashes under <c>/proc/sys</c>, as sysctl(8) does.</summary>
    public static string SysctlPath(string key) => "/proc/sys/" + key.Replace('.', '/');
}

/// <summary>
/// What <c>tune</c> reads before it decides: the host's cpufreq policies and turbo switch, the sysctl values and the
/// drop-in kvmconfig writes. Huge page pools come from <see cref="Topology.HostTopology"/>.
/// </summary>
/// <param name="Policies">Every cpufreq policy with at least one online CPU.</param>
/// <param name="Turbo">The turbo switch; null when the driver has none.</param>
/// <param name="Sysctls">The recommended keys (<see cref="SysctlRecommendations.All"/>) with their values now.</param>
/// <param name="DropInContent">The content of <see cref="SysctlRecommendations.DropInPath"/>; null when it does not exist.</param>
public sealed record TuneFacts(
    IReadOnlyList<CpuFreqPolicyFacts> Policies,
    TurboSwitch? Turbo,
    IReadOnlyList<SysctlFacts> Sysctls,
    string? DropInContent);
