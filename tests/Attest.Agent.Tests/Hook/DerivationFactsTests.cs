using System.Text;
using Attest.Agent.Core.Hook;
using Attest.Nix;
using Attest.Provenance.Statements;

namespace Attest.Agent.Tests.Hook;

public sealed class DerivationFactsTests
{
    private const string Drv =
        """Derive([("dev","/nix/store/4wlvakzirysc7c1jjkjcg2wcg6lhfmgn-attest-multi-m1-dev","",""),("out","/nix/store/p9rzlf0cmq15rasf48fzfp4kj1wi1iwx-attest-multi-m1","","")],[("/nix/store/15s1250idvdqzc082vn7h0rcpj4cxdvw-attest-multi-m1.drv",["out"])],["/nix/store/wkshkxpaifgph6y9bgz1ry1ks6s127qx-attest-multi-h1"],"x86_64-linux","/bin/sh",["-c","true"],[("builder","/bin/sh"),("dev","/nix/store/4wlvakzirysc7c1jjkjcg2wcg6lhfmgn-attest-multi-m1-dev"),("name","attest-multi-m1"),("out","/nix/store/p9rzlf0cmq15rasf48fzfp4kj1wi1iwx-attest-multi-m1"),("outputs","out dev"),("system","x86_64-linux")])""";

    [Fact]
    public void Parse_DerivationWithInputs_OutputsAndDependenciesSorted()
    {
        var facts = DerivationFacts.Parse(Encoding.UTF8.GetBytes(Drv));

        Assert.Equal(["dev", "out"], facts.Outputs.Select(o => o.Name));
        Assert.Equal("attest-multi-m1-dev", facts.Outputs[0].Path?.Name);
        Assert.Equal(
            [
                new NixDependency(NixDependencyKind.InputDerivation, StorePath.Parse("/nix/store/15s1250idvdqzc082vn7h0rcpj4cxdvw-attest-multi-m1.drv")),
                new NixDependency(NixDependencyKind.InputSource, StorePath.Parse("/nix/store/wkshkxpaifgph6y9bgz1ry1ks6s127qx-attest-multi-h1")),
            ],
            facts.Dependencies);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(200)]
    [InlineData(400)]
    public void Parse_Truncated_FormatException(int length) =>
        Assert.ThrowsAny<FormatException>(() => DerivationFacts.Parse(Encoding.UTF8.GetBytes(Drv[..length])));
}
