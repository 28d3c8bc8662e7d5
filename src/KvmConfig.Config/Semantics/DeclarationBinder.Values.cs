using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Semantics;

// Reading typed values out of raw sections, and reporting the ones that do not parse.
public sealed partial class DeclarationBinder
{
    /// <summary>Reads typed values from a section (falling back to a profile), reporting errors at the value.</summary>
    private sealed class ValueReader(DeclarationBinder binder, RawSection own, (string Name, RawSection Section)? profile)
    {
        private readonly HashSet<string> _failed = [];
        private readonly Dictionary<string, SourceSpan> _origins = new(StringComparer.Ordinal);

        private readonly HashSet<string> _inherited = new(StringComparer.Ordinal);

        public Origins Origins => new(own.Header, _origins, _inherited, _failed);

        /// <summary>Records where a key was written when another reader parsed it.</summary>
        public void Remember(string key, SourceSpan? span)
        {
            if (span is not null)
            {
                _origins[key] = span;
            }
        }

        public bool Failed(string key) => _failed.Contains(key);

        public T Get<T>(string key, Func<string, Parsed<T>> parse, T fallback)
        {
            RawValue? raw = own.Values.GetValueOrDefault(key);
            bool fromProfile = false;
            if (raw is null && profile is { } p && p.Section.Values.TryGetValue(key, out RawValue? inherited))
            {
                raw = inherited;
                fromProfile = true;
            }

            if (raw is null)
            {
                return fallback;
            }

            // Where a profile's value is judged: in the [profile] section when the user wrote it, else at 'profile ='.
            SourceSpan? at = raw.Span ?? own.Values.GetValueOrDefault("profile")?.Span ?? own.Header;
            Parsed<T> parsed = raw.Text.Length == 0
                ? new ValueError(Rules.BadValue, $"{key} has no value", $"write {key} = VALUE or delete the line")
                : parse(raw.Text);
            if (parsed.Ok)
            {
                // Only a value in force has an origin: rules must never say "set here" of a value that was refused.
                if (at is not null)
                {
                    _origins[key] = at;
                }

                if (fromProfile)
                {
                    _inherited.Add(key);
                }

                return parsed.Value!;
            }

            _failed.Add(key);
            if (!fromProfile || raw.Span is null)
            {
                binder.Report(parsed.Error!, at, raw.Span is not null);
            }

            return fallback;
        }

        /// <summary>
        /// Judges every value without binding it: a profile where it is written, a second declaration of a VM.
        /// Keys of the wrong section were reported by <see cref="CheckKeys"/> and never reach here.
        /// </summary>
        public void ValidateAll()
        {
            foreach (string key in own.Values.Keys)
            {
                Func<string, ValueError?> validate = KeyValues.Validators[key];
                _ = Get<object?>(key, t => new Parsed<object?>(null, validate(t)), null);
            }
        }

    }

    private void Report(ValueError error, SourceSpan? at, bool pointIntoValue)
    {
        SourceSpan? span = at;
        if (at is not null && pointIntoValue && error.Length > 0)
        {
            span = at with { Column = at.Column + error.Offset, Length = error.Length };
        }

        _diagnostics.Add(Diagnostic.Create(error.Descriptor, error.Message, span, error.Hint));
    }
}
