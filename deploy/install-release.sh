#!/usr/bin/env bash
# Puts one release of the gateway into a release layout and makes it the committed one; installs
# the launcher from it. Called by deploy/install.sh (as root); runs as any user on folders it may
# write, which is how test/deploy/install-kit.test.ts runs it. See docs/install.md.
#
#   install-release.sh --app-root DIR --launcher-dir DIR --tree BUILT_TREE
#   install-release.sh --app-root DIR --launcher-dir DIR --bundle FILE.tar.gz --release-key PUBLIC.pem [--signature FILE.sig]
#
# --tree: a built source tree (dist/ compiled, node_modules/ pruned to production).
# --bundle: a release bundle from `npm run release`; its detached signature (default FILE.tar.gz.sig)
#   is checked against the release key before anything of it is unpacked, then every file against
#   the bundle's manifest.
set -euo pipefail

say() { printf 'install-release: %s\n' "$*"; }
die() { printf 'install-release: %s\n' "$*" >&2; exit 1; }

app_root="" launcher_dir="" tree="" bundle="" key="" sig=""
while [ $# -gt 0 ]; do
  case "$1" in
    --app-root) app_root="$2"; shift 2 ;;
    --launcher-dir) launcher_dir="$2"; shift 2 ;;
    --tree) tree="$2"; shift 2 ;;
    --bundle) bundle="$2"; shift 2 ;;
    --release-key) key="$2"; shift 2 ;;
    --signature) sig="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -n "$app_root" ] && [ -n "$launcher_dir" ] || die "--app-root and --launcher-dir are required"
{ [ -n "$tree" ] && [ -z "$bundle" ]; } || { [ -z "$tree" ] && [ -n "$bundle" ]; } || die "give one of --tree or --bundle"
command -v node >/dev/null || die "node is required"

releases="$app_root/releases"
mkdir -p "$releases" "$app_root/downloads"
# An unpack goes to a hidden folder and is renamed into place whole (ReleaseLayout.partialDir).
stage="$(mktemp -d "$releases/.install.XXXXXX.partial")"
trap 'rm -rf "$stage"' EXIT

if [ -n "$bundle" ]; then
  [ -n "$key" ] || die "--bundle needs --release-key (the release public key, PEM)"
  sig="${sig:-$bundle.sig}"
  [ -f "$bundle" ] && [ -f "$sig" ] && [ -f "$key" ] || die "missing: $bundle, $sig or $key"
  command -v openssl >/dev/null || die "openssl is required to check the bundle's signature"
  # The signature file is base64 of a raw Ed25519 signature of the bundle's bytes.
  raw_sig="$stage.sig.bin"
  trap 'rm -rf "$stage" "$raw_sig"' EXIT
  base64 -d <"$sig" >"$raw_sig" 2>/dev/null || die "$sig is not base64"
  if ! openssl pkeyutl -verify -pubin -inkey "$key" -rawin -in "$bundle" -sigfile "$raw_sig" >/dev/null 2>&1; then
    die "$bundle does not verify against the release key $key: not ours, or changed on the way (UPDATE_BAD_SIGNATURE)"
  fi
  say "signature good: $bundle"
  tar -xzf "$bundle" -C "$stage" --no-same-owner
  # The signature covered the manifest and the code that checks it: the bundle's own check runs,
  # with this box's architecture and Node.js major.
  node --input-type=module -e '
    const dir = process.argv[1];
    const { verifyUnpacked } = await import(`${dir}/dist/gateway/update/verify-bundle.js`);
    try { verifyUnpacked(dir); } catch (err) { console.error(`${err.code ?? "ERROR"}: ${err.message}`); process.exit(1); }
  ' "$stage" || die "the unpacked bundle does not match its manifest or this box"
  version="$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version' "$stage/release-manifest.json")"
else
  [ -f "$tree/dist/gateway/cli/station-gateway.js" ] || die "$tree is not built (no dist/gateway/cli/station-gateway.js): npm run build first"
  # What a bundle holds (fleet/release/build-release.ts), from the tree.
  mkdir -p "$stage/dist" "$stage/config"
  for layer in config device-drivers cloud-bridge gateway; do cp -a "$tree/dist/$layer" "$stage/dist/"; done
  find "$stage/dist" -name '*.map' -delete
  cp -a "$tree/config/profiles" "$stage/config/"
  cp -a "$tree/deploy" "$tree/node_modules" "$tree/package.json" "$stage/"
  version="$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version' "$tree/package.json")"
fi
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || die "\"$version\" is not a release version"
chmod 755 "$stage" "$stage/dist/gateway/cli/station-gateway.js"

# The files' data on the disk before the rename that makes them a release (ReleaseLayout counts a
# release complete by its entry point's name alone).
sync -f "$stage" 2>/dev/null || sync
# Into place: a release of the same version (a reinstall) is set aside first, then removed.
target="$releases/$version"
if [ -e "$target" ]; then
  old="$releases/.$version.removing"
  rm -rf "$old"
  mv "$target" "$old"
  mv "$stage" "$target"
  rm -rf "$old"
else
  mv "$stage" "$target"
fi
sync -f "$releases" 2>/dev/null || sync
say "release $version in $target"

# The launcher: its own files and the config/ modules they import, nothing else (it must run when
# every release is broken). Copied by following the imports, so a new import cannot be forgotten.
new_launcher="$launcher_dir.new"
rm -rf "$new_launcher"
node --input-type=module -e '
  import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
  import { dirname, join, relative, resolve } from "node:path";
  const [dist, out] = process.argv.slice(1);
  const todo = [join(dist, "gateway/update/launcher/station-launcher.js")];
  const seen = new Set();
  while (todo.length) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const rel = relative(dist, file);
    if (rel.startsWith("..")) throw new Error(`the launcher imports ${file}, outside dist/`);
    mkdirSync(dirname(join(out, rel)), { recursive: true });
    cpSync(file, join(out, rel));
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s*["\u0027]([^"\u0027]+)["\u0027]|(?:^|\n)\s*import\s*["\u0027]([^"\u0027]+)["\u0027]/g)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith("node:")) continue;
      if (!spec.startsWith(".")) throw new Error(`${rel} imports the package ${spec}: the launcher may import only node builtins and config/`);
      todo.push(resolve(dirname(file), spec));
    }
  }
  writeFileSync(join(out, "package.json"), "{ \"type\": \"module\", \"private\": true }\n");
  writeFileSync(join(out, "station-launcher.js"), "// Installed by deploy/install-release.sh from the release it names in VERSION.\nimport \"./gateway/update/launcher/station-launcher.js\";\n");
  console.log(`${seen.size} files`);
' "$target/dist" "$new_launcher" >/dev/null || die "could not copy the launcher from $target"
printf '%s\n' "$version" >"$new_launcher/VERSION"
if [ -e "$launcher_dir" ]; then
  rm -rf "$launcher_dir.old"
  mv "$launcher_dir" "$launcher_dir.old"
fi
mv "$new_launcher" "$launcher_dir"
rm -rf "$launcher_dir.old"
say "launcher from $version in $launcher_dir"

# Committed, current at it, and releases older than the one before it pruned.
node --input-type=module -e '
  const [launcher, root, version] = process.argv.slice(1);
  const { ReleaseLayout } = await import(`${launcher}/gateway/update/launcher/release-layout.js`);
  const layout = new ReleaseLayout(root);
  layout.bootstrap(version);
  const removed = layout.prune();
  const state = layout.readState();
  console.log(`committed ${state.committed}${state.previous ? `, previous ${state.previous}` : ""}${removed.length ? `; removed ${removed.join(", ")}` : ""}`);
' "$(cd "$launcher_dir" && pwd)" "$(cd "$app_root" && pwd)" "$version" | sed 's/^/install-release: /'
