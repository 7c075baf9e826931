// hostArchitecture is this host's CPU in the image spec's (Go's) names,
// from Node's process.arch: what an image index is searched for. One table
// for every layer that picks from an index (rootfs, image, registry).
const GO_ARCH: Readonly<Record<string, string>> = {
  x64: "amd64",
  ia32: "386",
  arm64: "arm64",
  arm: "arm",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
};

export function hostArchitecture(): string {
  return GO_ARCH[process.arch] ?? process.arch;
}
