using KvmConfig.Core.Apply;

namespace KvmConfig.Libvirt.Apply;

/// <summary>
/// The libvirt operations <see cref="Applier"/> needs, and nothing more: read a domain, define its persistent XML,
/// make one live change. Every call that changes something is one <see cref="Define"/> or <see cref="Apply"/>, so a
/// decorator can count them and fail the N-th (the fault-injection tests do).
/// </summary>
public interface IApplyPort
{
    /// <summary>The domain as libvirt has it now, or null when libvirt knows no domain of that name.</summary>
    DomainView? Find(string name);

    /// <summary>True when libvirt knows a domain of that name: one lookup, nothing read.</summary>
    bool Exists(string name);

    /// <summary>
    /// True when the domain has a persistent definition; false for a transient one (undefined while running) or
    /// one libvirt does not know. Ports that only decorate another may keep this default.
    /// </summary>
    bool IsPersistent(string name) => Exists(name);

    /// <summary>Defines <paramref name="xml"/> as the persistent definition of <paramref name="name"/>.</summary>
    void Define(string name, string xml);

    /// <summary>Makes one live change on the running domain <paramref name="name"/>.</summary>
    void Apply(string name, LiveOperation operation);
}
