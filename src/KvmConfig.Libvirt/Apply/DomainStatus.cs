using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;
using KvmConfig.Core.Planning;

namespace KvmConfig.Libvirt.Apply;

/// <summary><c>kvmconfig status</c> as a library call: how every domain at a connection stands against a plan.</summary>
public static class DomainStatus
{
    /// <summary>
    /// Reads every domain of <paramref name="connection"/> once (read-only calls only): a VM of the plan with its
    /// persistent XML and, when it runs, its live state; any other by name and state only. A domain undefined between
    /// the listing and the reading is gone.
    /// </summary>
    public static StatusReport Observe(LibvirtConnection connection, Plan plan)
    {
        Dictionary<string, DomainTuning> desired = plan.Vms.ToDictionary(v => v.Name, DomainTuning.From, StringComparer.Ordinal);
        var observed = new Dictionary<string, ObservedDomain?>(StringComparer.Ordinal);
        var unmanaged = new List<UnmanagedDomain>();
        IReadOnlyList<LibvirtDomain> domains = connection.ListAllDomains();
        try
        {
            foreach (LibvirtDomain domain in domains)
            {
                try
                {
                    DomainState state = domain.State;
                    if (desired.ContainsKey(domain.Name))
                    {
                        bool active = domain.IsActive;
                        var view = new DomainView(domain.Name, active, domain.Xml(inactive: true), active ? LibvirtApplyPort.ReadLive(domain) : null);
                        observed[domain.Name] = new ObservedDomain(view, StateName(state));
                    }
                    else
                    {
                        unmanaged.Add(new UnmanagedDomain(domain.Name, StateName(state)));
                    }
                }
                catch (LibvirtException e) when (e.Code == LibvirtException.NoDomain)
                {
                    // Undefined (a transient domain: stopped) between the listing and the reading: it is gone.
                }
            }
        }
        finally
        {
            foreach (LibvirtDomain domain in domains)
            {
                domain.Dispose();
            }
        }

        return StatusReport.Build(desired, observed, unmanaged);
    }

    /// <summary>A state in the words of <c>virsh list</c> and <c>virsh domstate</c>.</summary>
    public static string StateName(DomainState state) => state switch
    {
        DomainState.Running => "running",
        DomainState.Blocked => "idle",
        DomainState.Paused => "paused",
        DomainState.Shutdown => "in shutdown",
        DomainState.Shutoff => "shut off",
        DomainState.Crashed => "crashed",
        DomainState.PmSuspended => "pmsuspended",
        _ => "no state",
    };
}
