# A derivation with two small outputs, dev referring to out: what bench/scripts/hook-time.sh times the hook on and
# bench/scripts/agent-aot-smoke.sh attests. `salt` makes it new on every run so Nix really builds it.
{ name, salt }:
derivation {
  name = "${name}-${salt}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  outputs = [ "out" "dev" ];
  args = [ "-c" ''
    echo "${name} ${salt}" > $out
    /bin/busybox mkdir -p $dev/sub
    echo "$out" > $dev/sub/ref
  '' ];
}
