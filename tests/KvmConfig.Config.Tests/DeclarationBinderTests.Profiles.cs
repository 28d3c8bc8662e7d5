using KvmConfig.Config.Semantics;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Tests;

// Profiles' keys judged where they are written, and the directories a declaration is read from.
public sealed partial class DeclarationBinderTests
{
    public static TheoryData<string> ProfileKeys =>
        new(KeyCatalog.All.Where(k => k.Sections.Contains(Syntax.SectionKind.Profile)).Select(k => k.Name));

    [Theory]
    [MemberData(nameof(ProfileKeys))]
    public void Every_profile_key_is_validated_where_the_profile_is_written(string key)
    {
        // Given a profile no VM uses, with a value no key accepts
        (_, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind($"[profile odd]\n{key} = @@@");

        // Then the value is still judged, at the profile's line
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Contains(d.Code, new[] { "KVC011", "KVC012" });
        Assert.Equal(2, d.Span!.Line);
    }

    [Fact]
    public void One_bad_value_never_hides_another_in_the_same_VM()
    {
        // Given a VM whose vcpus is out of range and whose other values are also wrong
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) =
            ConfigText.Bind("--- 10-db.conf\nvcpus = 0\nmemory = 12X\ncpuscheduling = fifo");

        // Then every mistake is reported in one run, and the VM, whose size is unknown, is left out
        Assert.Equal(
            ["KVC011 error 10-db.conf:2:12+1", "KVC011 error 10-db.conf:3:17+4", "KVC012 error 10-db.conf:1:9+1"],
            diagnostics.Select(ConfigText.Render).Order(StringComparer.Ordinal));
        Assert.Empty(declaration.Vms);
    }

    [Fact]
    public void A_second_declaration_of_a_VM_is_refused_but_its_values_are_still_judged()
    {
        (_, IReadOnlyList<Diagnostic> diagnostics) =
            ConfigText.Bind("--- 10-db.conf\nvcpus = 2\n--- 11-db.conf\n[vm db]\ncpus = 1,,2");

        Assert.Equal(["KVC014", "KVC011"], diagnostics.Select(d => d.Code));
        Assert.Equal("11-db.conf", Path.GetFileName(diagnostics[1].Span!.File));
    }

    [Fact]
    public void Values_taken_from_a_profile_are_marked_as_inherited()
    {
        (Declaration declaration, _) = ConfigText.Bind("[profile big]\nvcpus = 8\n[vm db]\nprofile = big\nmemory = 4G");

        VmSpec vm = Vm(declaration, "db");
        Assert.True(vm.Origins.FromProfile("vcpus"));
        Assert.False(vm.Origins.FromProfile("memory"));
        Assert.Equal(4, vm.Origins.Of("profile")!.Line);
        Assert.Equal(2, vm.Origins.Of("vcpus")!.Line);
    }

    /// <summary>Rows: description, --config-dir, $KVMCONFIG_DIR, the directory read.</summary>
    public static TheoryData<string, string?, string?, string> Directories => new()
    {
        { "the option wins", "/srv/a", "/srv/b", "/srv/a" },
        { "the environment when no option", null, "/srv/b", "/srv/b" },
        { "an empty variable counts as unset", null, "", "/etc/kvmconfig.d" },
        { "neither: the default", null, null, "/etc/kvmconfig.d" },
    };

    [Theory]
    [MemberData(nameof(Directories))]
    public void The_configuration_directory_resolves_option_then_environment_then_default(string description, string? option, string? environment, string expected) =>
        Expect.Equal(description, expected, ConfigDirectoryReader.Resolve(option, environment));

    [Fact]
    public void Every_key_of_the_catalogue_has_a_value_syntax_and_no_other_key_does()
    {
        Assert.Equal(
            KeyCatalog.All.Select(k => k.Name).Order(StringComparer.Ordinal),
            KeyValues.Validators.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_host_override_named_like_a_vm_gets_one_clear_error_and_no_phantom_vm()
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) =
            ConfigText.Bind("--- 00-cpu.conf\novercommit = 1:3\n--- 50-local.conf\novercommit = 1:4\nsmt = isolate");

        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("KVC007", d.Code);
        Assert.Contains("[vm local]", d.Message, StringComparison.Ordinal);
        Assert.Contains("50-host.conf", d.Hint, StringComparison.Ordinal);
        Assert.Empty(declaration.Vms);
        Assert.Equal("1:3", declaration.Host.Overcommit.ToString());
    }
}
