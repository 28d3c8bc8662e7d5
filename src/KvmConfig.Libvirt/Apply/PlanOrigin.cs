using KvmConfig.Core.Topology;

namespace KvmConfig.Libvirt.Apply;

/// <summary>Where a plan came from, so that apply can refuse to pin it onto another host and name what to fix.</summary>
/// <param name="Host">The host the plan was made for.</param>
/// <param name="HostLabel">How that host is named in messages: <c>this host</c>, <c>sysroot DIR</c>, <c>libvirt URI</c>.</param>
/// <param name="Declaration">The configuration directory the plan was made from.</param>
/// <param name="SysRoot">The captured tree the host was read from, if it was.</param>
/// <param name="ReadThroughConnection">True when <paramref name="Host"/> was read through the very connection the
/// plan is applied through: then it cannot be another host.</param>
public sealed record PlanOrigin(HostTopology Host, string HostLabel, string Declaration, string? SysRoot = null, bool ReadThroughConnection = false);
