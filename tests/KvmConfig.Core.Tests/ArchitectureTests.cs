using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;

namespace KvmConfig.Core.Tests;

/// <summary>
/// STYLE.md rule 1: <c>KvmConfig.Core</c> does no I/O. It takes topologies, specs and CPU sets and returns
/// plans and diagnostics, so it must not reach the file system, processes, the console, the network,
/// native code, the clock or the environment, and it must not depend on any other kvmconfig assembly.
/// The check reads the compiled assembly's metadata, so it also sees what generated code references.
/// </summary>
public sealed class ArchitectureTests
{
    /// <summary>Types whose mere use means I/O (or a native crossing) happens.</summary>
    private static readonly HashSet<string> ForbiddenTypes =
    [
        "System.IO.File",
        "System.IO.Directory",
        "System.IO.FileStream",
        "System.IO.FileInfo",
        "System.IO.DirectoryInfo",
        "System.IO.StreamReader",
        "System.IO.StreamWriter",
        "System.Diagnostics.Process",
        "System.Console",
        "System.Runtime.InteropServices.DllImportAttribute",
        "System.Runtime.InteropServices.LibraryImportAttribute",
    ];

    /// <summary>Namespaces forbidden whole, with every namespace below them.</summary>
    private static readonly string[] ForbiddenNamespaces = ["System.Net"];

    /// <summary>Members that read ambient state (the clock, the environment); their types are otherwise fine.</summary>
    private static readonly HashSet<string> ForbiddenMembers =
    [
        "System.DateTime::get_Now",
        "System.DateTime::get_UtcNow",
        "System.DateTime::get_Today",
        "System.DateTimeOffset::get_Now",
        "System.DateTimeOffset::get_UtcNow",
        "System.Environment::GetEnvironmentVariable",
        "System.Environment::GetEnvironmentVariables",
    ];

    [Fact]
    public void CoreDoesNoIo()
    {
        IReadOnlyList<string> offences = FindOffences(typeof(CpuSet).Assembly.Location);

        Assert.True(
            offences.Count == 0,
            $"KvmConfig.Core must do no I/O and depend on no other kvmconfig assembly (STYLE.md rule 1), but it has:\n  "
                + string.Join("\n  ", offences));
    }

    [Fact]
    public void ScannerFindsWhatThisAssemblyPlanted()
    {
        // Given this test assembly, which references KvmConfig.Core and holds the planted members below
        IReadOnlyList<string> offences = FindOffences(typeof(ArchitectureTests).Assembly.Location);

        // Then every kind of check fires, so CoreDoesNoIo cannot pass by finding nothing anywhere
        Assert.Contains("type System.IO.File", offences);
        Assert.Contains("member System.IO.File::Exists", offences);
        Assert.Contains("member System.DateTime::get_UtcNow", offences);
        Assert.Contains($"P/Invoke {typeof(ArchitectureTests).FullName}::{nameof(PlantedGetPid)} into libc", offences);
        Assert.Contains("assembly reference KvmConfig.Core", offences);
    }

    /// <summary>Planted for <see cref="ScannerFindsWhatThisAssemblyPlanted"/>; never called.</summary>
    private static bool PlantedFileCheck(string path) => File.Exists(path);

    /// <summary>Planted for <see cref="ScannerFindsWhatThisAssemblyPlanted"/>; never called.</summary>
    private static DateTime PlantedClock() => DateTime.UtcNow;

    /// <summary>Planted for <see cref="ScannerFindsWhatThisAssemblyPlanted"/>; never called.</summary>
    [DllImport("libc", EntryPoint = "getpid")]
    private static extern int PlantedGetPid();

    /// <summary>Every forbidden reference in the assembly at <paramref name="path"/>, one line each, sorted.</summary>
    private static IReadOnlyList<string> FindOffences(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        MetadataReader metadata = pe.GetMetadataReader();
        var offences = new SortedSet<string>(StringComparer.Ordinal);

        foreach (TypeReferenceHandle handle in metadata.TypeReferences)
        {
            string name = FullName(metadata, handle);
            if (IsForbiddenType(name))
            {
                offences.Add($"type {name}");
            }
        }

        foreach (MemberReferenceHandle handle in metadata.MemberReferences)
        {
            MemberReference member = metadata.GetMemberReference(handle);

            // Members of generic instantiations (TypeSpecification parents) are not decoded: no forbidden
            // member is on a generic type, and the generic type itself still shows up as a TypeReference.
            if (member.Parent.Kind != HandleKind.TypeReference)
            {
                continue;
            }

            string type = FullName(metadata, (TypeReferenceHandle)member.Parent);
            string name = $"{type}::{metadata.GetString(member.Name)}";
            if (ForbiddenMembers.Contains(name) || IsForbiddenType(type))
            {
                offences.Add($"member {name}");
            }
        }

        // [DllImport] is a pseudo-attribute: the compiler turns it into the method's PinvokeImpl flag and an
        // ImplMap row, never a TypeReference, so P/Invokes (including those [LibraryImport] generates) are
        // found on the method definitions.
        foreach (MethodDefinitionHandle handle in metadata.MethodDefinitions)
        {
            MethodDefinition method = metadata.GetMethodDefinition(handle);
            if ((method.Attributes & MethodAttributes.PinvokeImpl) != 0)
            {
                TypeDefinition owner = metadata.GetTypeDefinition(method.GetDeclaringType());
                string library = metadata.GetString(metadata.GetModuleReference(method.GetImport().Module).Name);
                offences.Add(
                    $"P/Invoke {FullName(metadata, owner)}::{metadata.GetString(method.Name)} into {library}");
            }
        }

        // The CLI assembly is "kvmconfig", the libraries "KvmConfig.*": Core may reference none of them.
        foreach (AssemblyReferenceHandle handle in metadata.AssemblyReferences)
        {
            string name = metadata.GetString(metadata.GetAssemblyReference(handle).Name);
            if (name.StartsWith("KvmConfig", StringComparison.OrdinalIgnoreCase))
            {
                offences.Add($"assembly reference {name}");
            }
        }

        return [.. offences];
    }

    private static bool IsForbiddenType(string fullName) =>
        ForbiddenTypes.Contains(fullName)
        || ForbiddenNamespaces.Any(ns => fullName.StartsWith(ns + ".", StringComparison.Ordinal));

    /// <summary>Namespace-qualified name, nested types joined with '+' as reflection writes them.</summary>
    private static string FullName(MetadataReader metadata, TypeReferenceHandle handle)
    {
        TypeReference type = metadata.GetTypeReference(handle);
        string name = metadata.GetString(type.Name);
        if (type.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            return $"{FullName(metadata, (TypeReferenceHandle)type.ResolutionScope)}+{name}";
        }

        string ns = metadata.GetString(type.Namespace);
        return ns.Length == 0 ? name : $"{ns}.{name}";
    }

    private static string FullName(MetadataReader metadata, TypeDefinition type)
    {
        string name = metadata.GetString(type.Name);
        TypeDefinitionHandle outer = type.GetDeclaringType();
        if (!outer.IsNil)
        {
            return $"{FullName(metadata, metadata.GetTypeDefinition(outer))}+{name}";
        }

        string ns = metadata.GetString(type.Namespace);
        return ns.Length == 0 ? name : $"{ns}.{name}";
    }
}
