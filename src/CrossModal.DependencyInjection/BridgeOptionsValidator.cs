using System.Linq;
using CrossModal.Bridging;
using Microsoft.Extensions.Options;

namespace CrossModal.DependencyInjection;

/// <summary>Reports every invalid setting of one named strategy options instance.</summary>
internal sealed class BridgeOptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : BridgeOptions
{
    private readonly string _name;

    public BridgeOptionsValidator(string name) => _name = name;

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        if (name != _name)
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = options.GetValidationErrors().Select(e => $"{typeof(TOptions).Name} '{_name}': {e}").ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
