#!/usr/bin/env bash
# packaging_container.sh: the container recipe and the Kubernetes examples
# (packaging/container, packaging/kubernetes), checked without a container
# engine (none runs here):
#   - Containerfile: every instruction is a real one, two stages, the
#     runtime stage copies from the build stage by name, and every flag of
#     its CMD is one `livelog serve --help` lists;
#   - each YAML file parses (python3-yaml), has apiVersion, kind and a
#     name, and every livelog container's args use a verb and only flags
#     that verb's --help lists; every volume a container mounts exists.
# Run: bash packaging_container.sh LIVELOG_BINARY CHECK_SERVER_LOG "" SRC_DIR
. "$(dirname "$0")/lib.sh"
SRC=${4:?usage: $0 LIVELOG CHECK "" SRC_DIR}
PY=
for p in /usr/bin/python3 python3; do # Debian's python3-yaml is for Debian's python3
  if "$p" -c 'import yaml' 2>/dev/null; then
    PY=$p
    break
  fi
done
if [ -z "$PY" ]; then
  echo "SKIP: python3-yaml is missing (scripts/install-deps installs it)" >&2
  exit 77
fi
"$LIVELOG" serve --help >"$SCRATCH/serve.help" 2>&1 || fail "serve --help"
"$LIVELOG" forward --help >"$SCRATCH/forward.help" 2>&1 || fail "forward --help"
"$PY" - "$SRC/packaging" "$SCRATCH" <<'PY' || fail "container recipe or Kubernetes examples"
import json, os, re, sys
pkg, scratch = sys.argv[1], sys.argv[2]
helps = {v: open(os.path.join(scratch, v + ".help")).read() for v in ("serve", "forward")}
def flags_ok(verb, args, where):
    for a in args:
        if not a.startswith("--"):
            continue
        flag = a.split("=", 1)[0]
        assert re.search(r"(^|\s)" + re.escape(flag) + r"(\s|$)", helps[verb]), \
            f"{where}: {flag} is not an option of livelog {verb}"
# the Containerfile
known = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY",
         "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD",
         "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
lines, cont = [], False
for raw in open(os.path.join(pkg, "container", "Containerfile")):
    line = raw.rstrip("\n")
    if not cont and (line.strip() == "" or line.lstrip().startswith("#")):
        continue
    if not cont:
        lines.append(line)
        word = line.split()[0]
        assert word in known, f"Containerfile: unknown instruction {word}"
    cont = line.endswith("\\")
froms = [l for l in lines if l.startswith("FROM ")]
assert len(froms) == 2 and froms[0].split()[-2:] == ["AS", "build"], froms
assert any(l.startswith("COPY --from=build ") for l in lines), "no COPY --from=build"
cmd = [l for l in lines if l.startswith("CMD ")]
assert len(cmd) == 1
args = json.loads(cmd[0][4:])
assert args[0] == "serve"
flags_ok("serve", args[1:], "Containerfile CMD")
# the Kubernetes examples
import yaml
n = 0
kdir = os.path.join(pkg, "kubernetes")
for f in sorted(os.listdir(kdir)):
    for doc in yaml.safe_load_all(open(os.path.join(kdir, f))):
        n += 1
        assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"], f
        spec = doc["spec"]["template"]["spec"] if doc["kind"] == "DaemonSet" else doc["spec"]
        vols = {v["name"] for v in spec.get("volumes", [])}
        for c in spec["containers"]:
            for m in c.get("volumeMounts", []):
                assert m["name"] in vols, f"{f}: {c['name']} mounts unknown {m['name']}"
            if "livelog" not in c["image"]:
                continue
            verb = c["args"][0]
            assert verb in helps, f"{f}: unknown verb {verb}"
            flags_ok(verb, c["args"][1:], f"{f} ({c['name']})")
assert n >= 2, n
print(f"{n} Kubernetes objects and the Containerfile checked")
PY
finish
